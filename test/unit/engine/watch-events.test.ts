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
