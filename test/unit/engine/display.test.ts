// The display API, outputs of async leftovers, input(), cell hooks, and `import … from "labnote"`.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chartSvgOf } from "../../../kernel/display.js";
import type { CellRecord } from "../../../kernel/types.js";
import { createHarness, resultText, type Harness } from "./harness.js";

let harness: Harness;

beforeAll(() => {
  harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-display-")));
});

afterAll(async () => {
  await harness.engine.shutdown();
});

describe("display", () => {
  it("sends rich bundles with a text/plain fallback", async () => {
    const run = await harness.run('display.html("<b>bold</b>");\ndisplay.markdown("# title");\ndisplay.json({ a: 1 });\ndisplay.png(new Uint8Array([1, 2, 3]));\ndisplay({ k: "v" });');
    const bundles = run.outputs.flatMap((o) => (o.type === "display_data" ? [o.data] : []));
    expect(bundles).toEqual([
      { "text/html": "<b>bold</b>", "text/plain": "bold" },
      { "text/markdown": "# title", "text/plain": "# title" },
      { "application/json": { a: 1 }, "text/plain": '{\n  "a": 1\n}' },
      { "image/png": "AQID", "text/plain": "<PNG image>" },
      { "text/plain": "{ k: 'v' }" },
    ]);
  });

  it("handles update in place through display_id", async () => {
    const run = await harness.run('const h = display.handle();\nh.text("step 1");\nh.text("step 2");\nh.displayId');
    const [shown, updated] = run.outputs;
    expect(shown).toMatchObject({ type: "display_data", data: { "text/plain": "step 1" } });
    expect(updated).toMatchObject({ type: "update_display_data", data: { "text/plain": "step 2" } });
    const id = shown.type === "display_data" ? shown.transient?.display_id : undefined;
    expect(id).toBeTruthy();
    expect(updated.type === "update_display_data" && updated.transient.display_id).toBe(id);
    expect(resultText(run)).toBe(`'${id}'`);
  });

  it("renders Vega-Lite to SVG and PNG in the kernel beside the spec", async () => {
    const run = await harness.run(
      'await display.vegaLite({ title: "loss", data: { values: [{ step: 1, loss: 0.9 }, { step: 2, loss: 0.5 }] }, mark: "line", encoding: { x: { field: "step", type: "quantitative" }, y: { field: "loss", type: "quantitative" } } });',
    );
    const bundle = run.outputs.find((o) => o.type === "display_data");
    if (!bundle || bundle.type !== "display_data") throw new Error(JSON.stringify(run.outcome));
    expect(bundle.data["application/vnd.vegalite.v5+json"]).toMatchObject({ mark: "line" });
    expect(String(chartSvgOf(bundle.data))).toMatch(/^<svg[\s\S]*<\/svg>$/);
    expect(String(bundle.data["image/png"])).toMatch(/^iVBORw0KGgo/); // a PNG, for LaTeX/PDF export and sanitising viewers
    expect(bundle.data["text/plain"]).toBe("<Vega-Lite chart “loss”>");
  });

  it("is typed: a misspelt display method is a type error", async () => {
    const run = await harness.run('display.htm("x");');
    expect(run.outcome).toMatchObject({ status: "error", ename: "TypeError" });
    if (run.outcome.status === "error") expect(run.outcome.evalue).toMatch(/htm/);
  });

  it("clearOutput sends clear_output", async () => {
    const run = await harness.run("clearOutput(true);");
    expect(run.outputs).toEqual([{ type: "clear_output", wait: true }]);
  });

  it("outputs of timers go to the cell that started them, after it ended", async () => {
    const starter = await harness.run('setTimeout(() => { console.log("late line"); display.text("late display"); }, 30);\n"started"');
    await harness.run("await new Promise((r) => setTimeout(r, 150));");
    const lateForStarter = [...harness.late.entries()].find(([, outputs]) => outputs.some((o) => o.type === "stream" && o.text === "late line\n"));
    expect(resultText(starter)).toBe("'started'");
    expect(lateForStarter).toBeDefined();
    expect(lateForStarter?.[1].map((o) => o.type)).toEqual(["stream", "display_data"]);
  });

  it("reports an unhandled rejection on stderr and keeps running", async () => {
    const run = await harness.run('Promise.reject(new Error("nobody catches me"));\nawait new Promise((r) => setTimeout(r, 50));\n"alive"');
    expect(resultText(run)).toBe("'alive'");
    expect(run.stderr).toMatch(/Unhandled promise rejection[\s\S]*nobody catches me/);
  });
});

describe("input", () => {
  it("asks the frontend when stdin is allowed", async () => {
    const run = await harness.run('const answer = await input("name? ");\nanswer.toUpperCase()', { allowStdin: true, inputs: ["ada"] });
    expect(resultText(run)).toBe("'ADA'");
    expect(run.stdout).toBe("name? ");
  });

  it("fails clearly when the frontend does not allow stdin", async () => {
    const run = await harness.run('await input("name? ")');
    expect(run.outcome.status).toBe("error");
    if (run.outcome.status === "error") expect(run.outcome.evalue).toMatch(/does not accept keyboard input \(allow_stdin is false\)/);
  });
});

describe("cell hooks", () => {
  it("see every cell with its outputs summary; a failing hook never breaks a cell", async () => {
    const records: CellRecord[] = [];
    const started: number[] = [];
    harness.engine.addCellHooks({ beforeCell: (cell) => started.push(cell.executionCount), afterCell: (cell) => records.push(cell) });
    harness.engine.addCellHooks({
      afterCell: () => {
        throw new Error("hook bug");
      },
    });
    const ok = await harness.run('console.log("x");\ndisplay.html("<i>i</i>");\n40 + 2');
    const failed = await harness.run("throw new Error('bad cell');");
    expect(ok.outcome.status).toBe("ok");
    expect(ok.stderr).toMatch(/a cell hook failed \(hook bug\)/);
    expect(records).toHaveLength(2);
    expect(started).toHaveLength(2);
    expect(records[0]).toMatchObject({ status: "ok", outputs: { streams: 1, displays: 1, errors: 0, result: "42", mimeTypes: ["text/html", "text/plain"] } });
    expect(records[1]).toMatchObject({ status: "error", error: { ename: "Error", evalue: "bad cell" } });
  });
});

describe("labnote", () => {
  it("resolves `import … from \"labnote\"` to this package from any directory", async () => {
    const run = await harness.run('import * as labnote from "labnote";\ntypeof labnote');
    expect(run.outcome.status).toBe("ok");
    expect(resultText(run)).toBe("'object'");
  });
});
