// jupyter_kernel_test (Debian's python3-jupyter-kernel-test) against the real labnote kernel: every method runs,
// none is skipped, all pass.
import { describe, expect, it } from "vitest";
import { ensureKernelspecs, freshProject, runPython } from "./kernel-wire-env.js";

describe("jupyter_kernel_test conformance", () => {
  it("passes every KernelTests method with none skipped", async () => {
    ensureKernelspecs();
    const project = freshProject("conformance");
    const { stdout } = await runPython("test_labnote_kernel.py", [], { cwd: project, timeoutMs: 400_000 });
    const result = JSON.parse(stdout.trim().split("\n").at(-1)!) as { run: number; failures: number; errors: number; skipped: number; details: string[] };
    expect(result.details).toEqual([]);
    expect(result).toMatchObject({ failures: 0, errors: 0, skipped: 0 });
    expect(result.run).toBe(12);
  }, 420_000);
});
