// Once a cell has been answered and the frontend has sent nothing for a moment, the kernel parses the declarations
// the next cell will be checked against (engine.ts, TypeScriptSession.prepareNext, cell-swap.ts prepareDeclarations):
// never before the execute has settled, not while another request runs or when one came soon after, and the next
// declaring cell's swap then takes them. LABNOTE_PREPARE_DECLARATIONS=off turns it off.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { PREPARE_DECLARATIONS_AFTER_QUIET_MS } from "../../../kernel/engine.js";
import { TypeScriptSession } from "../../../kernel/engine/session.js";
import { createHarness } from "./harness.js";

const quietTime = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, PREPARE_DECLARATIONS_AFTER_QUIET_MS + 30));

describe("declarations prepared between cells", () => {
  afterEach(() => {
    vi.restoreAllMocks();
    delete process.env.LABNOTE_PREPARE_DECLARATIONS;
  });

  it("are parsed once the frontend has been quiet after a cell, and taken by the next cell", async () => {
    const sessions: TypeScriptSession[] = [];
    const callTimes: number[] = [];
    const original = TypeScriptSession.prototype.prepareNext;
    vi.spyOn(TypeScriptSession.prototype, "prepareNext").mockImplementation(function (this: TypeScriptSession) {
      callTimes.push(performance.now());
      sessions.push(this);
      original.call(this);
    });
    // Polls rather than sleeping a fixed time: a loaded machine may run the timer late, never early.
    const preparedOnce = (calls: number) => vi.waitFor(() => expect(callTimes.length).toBe(calls + 1), { timeout: 10_000, interval: 5 });
    const harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-prepare-next-")));
    try {
      const cells = ["1 + 1", "const a = 1", "const b = a + 1", "function twice(n: number) { return 2 * n; }", "class Box { private v = 3; get() { return this.v; } }", "const box: Box = new Box();\ntwice(box.get()) + b"];
      let last;
      for (const code of cells) {
        const calls = callTimes.length;
        last = await harness.run(code);
        const settled = performance.now();
        expect(last.outcome.status, code).toBe("ok");
        // Not when the execute settles (the kernel sends the reply and idle in the microtasks that follow)...
        expect(callTimes.length, code).toBe(calls);
        // ...but once the frontend has been quiet for the quiet time, and not before.
        await preparedOnce(calls);
        expect(callTimes[calls]! - settled, code).toBeGreaterThanOrEqual(PREPARE_DECLARATIONS_AFTER_QUIET_MS - 2);
      }
      // Back-to-back cells (Run All, nbclient): each request cancels the wait the cell before started.
      const calls = callTimes.length;
      for (let i = 0; i < 5; i++) expect((await harness.run(`const quick${i} = ${i}`)).outcome.status).toBe("ok");
      expect(callTimes.length).toBe(calls);
      await preparedOnce(calls);
      await quietTime();
      expect(callTimes.length).toBe(calls + 1);
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
        await quietTime();
      }
      expect(prepareNext).not.toHaveBeenCalled();
    } finally {
      await harness.engine.shutdown();
    }
  });
});
