// After each cell's reply the kernel parses the declarations the next cell will be checked against (engine.ts,
// TypeScriptSession.prepareNext, cell-swap.ts prepareDeclarations): not before the execute has settled (the reply and
// idle go out first), and the next declaring cell's swap then takes them. LABNOTE_PREPARE_DECLARATIONS=off turns it off.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { TypeScriptSession } from "../../../kernel/engine/session.js";
import { createHarness } from "./harness.js";

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("declarations prepared between cells", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    delete process.env.LABNOTE_PREPARE_DECLARATIONS;
  });

  it("are parsed after each execute has settled and taken by the next cell", async () => {
    const sessions: TypeScriptSession[] = [];
    const original = TypeScriptSession.prototype.prepareNext;
    const prepareNext = vi.spyOn(TypeScriptSession.prototype, "prepareNext").mockImplementation(function (this: TypeScriptSession) {
      sessions.push(this);
      original.call(this);
    });
    const harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-prepare-next-")));
    try {
      const cells = ["1 + 1", "const a = 1", "const b = a + 1", "function twice(n: number) { return 2 * n; }", "class Box { private v = 3; get() { return this.v; } }", "const box: Box = new Box();\ntwice(box.get()) + b"];
      let last;
      for (const code of cells) {
        const calls = prepareNext.mock.calls.length;
        last = await harness.run(code);
        expect(last.outcome.status, code).toBe("ok");
        // Not yet when the execute settles (the kernel sends the reply and idle in the microtasks that follow)...
        expect(prepareNext.mock.calls.length, code).toBe(calls);
        await nextTurn();
        // ...but right after.
        expect(prepareNext.mock.calls.length, code).toBe(calls + 1);
      }
      expect(last!.outcome.status === "ok" && last!.outcome.result?.["text/plain"]).toBe("8");
      const stats = sessions[0]!.swapStats!;
      // The first cell builds the program; each later declaring cell found its declarations parsed ahead.
      expect(stats.preparedDeclarations).toBeGreaterThanOrEqual(4);
    } finally {
      await harness.engine.shutdown();
    }
  });

  it("are left to the next cell with LABNOTE_PREPARE_DECLARATIONS=off", async () => {
    process.env.LABNOTE_PREPARE_DECLARATIONS = "off";
    const prepareNext = vi.spyOn(TypeScriptSession.prototype, "prepareNext");
    const harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-prepare-next-")));
    try {
      for (const code of ["const a = 1", "a + 1"]) {
        expect((await harness.run(code)).outcome.status).toBe("ok");
        await nextTurn();
      }
      expect(prepareNext).not.toHaveBeenCalled();
    } finally {
      await harness.engine.shutdown();
    }
  });
});
