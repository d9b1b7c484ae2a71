// Files appearing in the project while the kernel runs (a module created after a failed import, an npm install)
// make TypeScript's watchers queue work next to tslab's own rebuild. tslab keeps a single timer and threw
// "Unexpected pending rebuildTimer" on every later cell; the engine multiplexes the timers instead.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createHarness } from "./harness.js";

describe("project files that appear while the kernel runs", () => {
  it("a module created after a failed import is found by the same cell, and later cells keep working", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labnote-watch-"));
    const h = createHarness(dir);
    const code = 'import { answer } from "./later";\nanswer';
    const first = await h.run(code);
    expect(first.outcome).toMatchObject({ status: "error", ename: "TypeError" });
    writeFileSync(join(dir, "later.ts"), "export const answer = 42;\n");
    const seen: string[] = [];
    let outcome = first.outcome;
    for (let attempt = 0; attempt < 20 && outcome.status !== "ok"; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      outcome = (await h.run(code)).outcome;
      if (outcome.status === "error") seen.push(outcome.evalue);
    }
    expect(seen.filter((evalue) => /rebuildTimer/.test(evalue))).toEqual([]);
    expect(outcome).toMatchObject({ status: "ok", result: { "text/plain": "42" } });
    expect((await h.run("const doubled: number = answer * 2;\ndoubled")).outcome).toMatchObject({ status: "ok", result: { "text/plain": "84" } });
    expect((await h.engine.complete("doub", 4)).matches).toContain("doubled");
  }, 60_000);
});

describe("local modules", () => {
  it("a cell imports a local module that imports another; both are compiled beside the cell", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labnote-local-"));
    writeFileSync(join(dir, "units.ts"), "export const scale = (n: number): number => n * 10;\n");
    writeFileSync(join(dir, "model.ts"), 'import { scale } from "./units";\nexport function predict(x: number): number {\n  return scale(x) + 1;\n}\n');
    const h = createHarness(dir);
    const run = await h.run('import { predict } from "./model";\npredict(4)');
    expect(run.outcome).toMatchObject({ status: "ok", result: { "text/plain": "41" } });
    const typed = await h.run('import { predict } from "./model";\nconst wrong: string = predict(1);');
    expect(typed.outcome).toMatchObject({ status: "error", ename: "TypeError" });
  }, 60_000);
});
