// The wire layer's own log lines while a cell runs: they belong on the kernel's stderr, not in the cell's output.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { kernelInfo } from "../../../kernel/kernel-info.js";
import { newHeader } from "../../../kernel/protocol/wire.js";
import { KernelSession } from "../../../kernel/session.js";
import { createHarness } from "../engine/harness.js";

const harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-kernel-log-")));

afterAll(async () => {
  await harness.engine.shutdown();
});

it("keeps a session log line written during a cell out of that cell's output", async () => {
  const session = new KernelSession({ transport: { send: () => undefined }, sessionId: "s", kernelInfo: kernelInfo() });
  const strayReply = { header: newHeader("input_reply", "client"), parent_header: {}, metadata: {}, content: { value: "x" }, buffers: [] };
  // The cell triggers a wire-layer log line ("input_reply arrived while no input was requested") from its own context.
  (globalThis as Record<string, unknown>).__triggerKernelLog = () => session.receiveInputReply(strayReply);
  try {
    const run = await harness.run("(globalThis as any).__triggerKernelLog();\nconsole.error('from the cell');");
    expect(run.outcome.status).toBe("ok");
    expect(run.stderr).toContain("from the cell");
    expect(run.stderr).not.toContain("input_reply arrived");
    expect(run.stdout).not.toContain("input_reply arrived");
  } finally {
    delete (globalThis as Record<string, unknown>).__triggerKernelLog;
  }
});
