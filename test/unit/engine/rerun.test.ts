// Running the same text again (and completing it again) must behave exactly like the first time, although
// TypeScript is not asked to rebuild its program when neither the cell nor the earlier declarations changed.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createHarness } from "./harness.js";

describe("re-running unchanged text", () => {
  it("gives the same results, outputs, errors and completions every time", async () => {
    const h = createHarness(mkdtempSync(join(tmpdir(), "labnote-rerun-")));
    for (let round = 0; round < 3; round++) {
      const sum = await h.run("1 + 1");
      expect(sum.outcome).toMatchObject({ status: "ok", result: { "text/plain": "2" } });
      const printed = await h.run('console.log("hello")');
      expect(printed.stdout).toBe("hello\n");
      const typeError = await h.run('const n: number = "text"');
      expect(typeError.outcome).toMatchObject({ status: "error" });
      expect((await h.engine.complete("Math.fl", 7)).matches).toContain("floor");
    }
    // State moves on between identical runs: the same text sees the new value each time.
    await h.run("let counter = 0");
    for (let expected = 1; expected <= 3; expected++) {
      const bumped = await h.run("++counter");
      expect(bumped.outcome).toMatchObject({ status: "ok", result: { "text/plain": String(expected) } });
    }
    // A declaration made after an unchanged completion is seen by the next one.
    expect((await h.engine.complete("coun", 4)).matches).toContain("counter");
    await h.run("const countdown = 3");
    expect((await h.engine.complete("coun", 4)).matches).toEqual(expect.arrayContaining(["counter", "countdown"]));
  }, 60_000);
});
