// The magic framework through the engine: results as data, usage errors, help, %lsmagic, builtins, MagicContext.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MagicSpec } from "../../../magics/types.js";
import { createHarness, resultText, type Harness } from "./harness.js";

const calls: string[] = [];

const probe: MagicSpec = {
  name: "probe",
  summary: "A test magic",
  help: "Probe help text.",
  line: {
    summary: "report",
    usage: "%probe [--times N] LABEL",
    options: [{ name: "times", type: "integer", description: "repeat", default: 1 }],
    positionals: [{ name: "LABEL", description: "a label", required: true }],
    run(args) {
      calls.push(String(args.positionals.LABEL));
      return { data: { label: args.positionals.LABEL, times: args.options.times }, text: `probe ${String(args.positionals.LABEL)}`, html: "<b>probe</b>" };
    },
  },
  cell: {
    summary: "run the body with a typed global",
    usage: "%%probe",
    async run(args, ctx) {
      const value = await ctx.execute(args.body, { globals: { box: { size: 3 } }, types: { box: "{ size: number }" } });
      return { data: { value }, text: `body gave ${String(value)}` };
    },
  },
  subcommands: {
    fn: {
      summary: "compile a function",
      usage: "%probe fn BODY",
      rawArgs: true,
      async run(args, ctx) {
        const fn = await ctx.compileFunction(args.rest, [{ name: "n", type: "number" }]);
        return { data: { result: await fn(20) }, text: "fn" };
      },
    },
    eval: {
      summary: "evaluate",
      usage: "%probe eval EXPR",
      rawArgs: true,
      async run(args, ctx) {
        return { data: { value: await ctx.evaluate(args.rest) }, text: "eval" };
      },
    },
  },
};

let harness: Harness;

beforeAll(() => {
  harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-magics-")), { magics: [probe] });
});

afterAll(async () => {
  await harness.engine.shutdown();
});

describe("magic results", () => {
  it("become the execute_result: application/json beside text/plain and text/html", async () => {
    const run = await harness.run("%probe --times 2 first");
    expect(run.outcome).toMatchObject({
      status: "ok",
      result: { "application/json": { label: "first", times: 2 }, "text/plain": "probe first", "text/html": "<b>probe</b>" },
    });
  });

  it("earlier results are displays; code after the magics gives the execute_result", async () => {
    const run = await harness.run("%probe a\n%probe b\n1 + 1");
    const displays = run.outputs.filter((o) => o.type === "display_data");
    expect(displays.map((d) => (d.type === "display_data" ? d.data["application/json"] : undefined))).toEqual([
      { label: "a", times: 1 },
      { label: "b", times: 1 },
    ]);
    expect(resultText(run)).toBe("2");
  });

  it("a usage error runs nothing and shows the usage", async () => {
    calls.length = 0;
    const run = await harness.run("%probe fine\n%probe --times x other");
    expect(run.outcome.status).toBe("error");
    if (run.outcome.status !== "error") return;
    expect(run.outcome.ename).toBe("UsageError");
    expect(run.outcome.evalue).toBe('--times expects a whole number; got "x".\nUsage: %probe [--times N] LABEL');
    expect(calls).toEqual([]);
  });

  it("an unknown magic names itself and points to %lsmagic", async () => {
    const run = await harness.run("%nosuchmagic 1");
    expect(run.outcome).toMatchObject({ status: "error", ename: "UnknownMagicError" });
    if (run.outcome.status === "error") expect(run.outcome.evalue).toMatch(/%nosuchmagic.*%lsmagic/);
  });

  it("%name? opens the help in the pager", async () => {
    const run = await harness.run("%probe?");
    expect(run.outcome.status).toBe("ok");
    if (run.outcome.status !== "ok") return;
    expect(run.outcome.payload).toHaveLength(1);
    expect(run.outcome.payload[0]).toMatchObject({ source: "page", start: 0 });
    const text = String((run.outcome.payload[0].data as Record<string, string>)["text/plain"]);
    expect(text).toContain("Probe help text.");
    expect(text).toContain("%probe [--times N] LABEL");
  });

  it("%lsmagic lists every magic as text and data", async () => {
    const run = await harness.run("%lsmagic");
    if (run.outcome.status !== "ok") throw new Error("lsmagic failed");
    const data = run.outcome.result?.["application/json"] as { magics: { name: string; line: string | null; cell: string | null }[] };
    const names = data.magics.map((m) => m.name);
    expect(names).toEqual(expect.arrayContaining(["env", "lsmagic", "probe", "time", "timeit"]));
    expect(data.magics.find((m) => m.name === "time")).toMatchObject({ line: "%time", cell: "%%time" });
    expect(String(run.outcome.result?.["text/plain"])).toContain("modulo");
  });
});

describe("MagicContext", () => {
  it("execute runs the body as a cell with typed temporary globals; declarations persist", async () => {
    const run = await harness.run("%%probe\nconst fromBody = box.size * 2;\nfromBody + 1");
    expect(run.outcome).toMatchObject({ status: "ok", result: { "application/json": { value: 7 } } });
    expect(resultText(await harness.run("fromBody"))).toBe("6");
    const typed = await harness.run("%%probe\nbox.size.toUpperCase()");
    expect(typed.outcome).toMatchObject({ status: "error", ename: "TypeError" });
    if (typed.outcome.status === "error") expect(typed.outcome.evalue).toMatch(/line 2, column 10/);
  });

  it("compileFunction compiles a typed async body with return, in the notebook scope", async () => {
    const run = await harness.run("%probe fn return n + fromBody;");
    expect(run.outcome).toMatchObject({ status: "ok", result: { "application/json": { result: 26 } } });
    const bad = await harness.run("%probe fn return n.length;");
    expect(bad.outcome).toMatchObject({ status: "error", ename: "TypeError" });
  });

  it("evaluate reads an expression in the notebook scope", async () => {
    const run = await harness.run("%probe eval { doubled: fromBody * 2 }");
    expect(run.outcome).toMatchObject({ status: "ok", result: { "application/json": { value: { doubled: 12 } } } });
  });
});

describe("builtins", () => {
  it("%timeit reports mean ± std with the loop count as data", async () => {
    const run = await harness.run("%timeit -n 3 -r 2 [1, 2, 3].map((x) => x * 2)");
    if (run.outcome.status !== "ok") throw new Error(JSON.stringify(run.outcome));
    const data = run.outcome.result?.["application/json"] as { mean: number; std: number; loops: number; runs: number; unit: string };
    expect(data).toMatchObject({ loops: 3, runs: 2, unit: "ms" });
    expect(data.mean).toBeGreaterThan(0);
    expect(String(run.outcome.result?.["text/plain"])).toMatch(/± .* per loop \(mean ± std\. dev\. of 2 runs, 3 loops each\)/);
  });

  it("%timeit without -n grows the loop count adaptively", async () => {
    const run = await harness.run("%timeit -r 1 Math.sqrt(2)");
    if (run.outcome.status !== "ok") throw new Error(JSON.stringify(run.outcome));
    const data = run.outcome.result?.["application/json"] as { loops: number };
    expect(data.loops).toBeGreaterThan(1000);
  });

  it("%time shows the value and the wall and CPU time", async () => {
    const run = await harness.run("%time 6 * 7");
    const shown = run.outputs.find((o) => o.type === "display_data");
    expect(shown && shown.type === "display_data" ? shown.data["text/plain"] : undefined).toBe("42");
    expect(String(resultText(run))).toMatch(/CPU times: user .*\nWall time: /);
    const cell = await harness.run("%%time\nconst timed = 5;");
    expect(cell.outcome.status).toBe("ok");
    expect(resultText(await harness.run("timed"))).toBe("5");
  });

  it("%env sets, reads and lists variables", async () => {
    await harness.run("%env LABNOTE_TEST_VAR=hello world");
    expect(process.env.LABNOTE_TEST_VAR).toBe("hello world");
    expect(resultText(await harness.run("%env LABNOTE_TEST_VAR"))).toBe("hello world");
    const all = await harness.run("%env");
    if (all.outcome.status !== "ok") throw new Error("env failed");
    expect((all.outcome.result?.["application/json"] as Record<string, string>).LABNOTE_TEST_VAR).toBe("hello world");
    const missing = await harness.run("%env LABNOTE_NOT_SET_ANYWHERE");
    expect(missing.outcome).toMatchObject({ status: "error", ename: "UsageError" });
  });

  it("completes magic names and options", async () => {
    await harness.run("%lsmagic");
    expect((await harness.engine.complete("%tim", 4)).matches).toEqual(["%time", "%timeit"]);
    const options = await harness.engine.complete("%probe --ti", 11);
    expect(options.matches).toEqual(["--times"]);
    expect(options.cursorStart).toBe(7);
  });
});
