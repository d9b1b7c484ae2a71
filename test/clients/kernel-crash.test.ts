// A cell cannot kill the kernel by accident (process.exit / process.abort become error replies), and a kernel that
// does die (kill -9) leaves its run "crashed" — marked by the next kernel that opens the store, at once, points kept.
// Driven through jupyter_client (test/clients/py/kernel_crash.py).
import { beforeAll, describe, expect, it } from "vitest";
import { ensureKernelspecs, freshProject, runPython } from "./kernel-wire-env.js";

type Observed = Record<string, unknown>;
let report: Record<string, Record<string, Observed & unknown>>;

beforeAll(async () => {
  ensureKernelspecs();
  const project = freshProject("crash");
  const { stdout } = await runPython("kernel_crash.py", ["labnote", project], { cwd: project, timeoutMs: 300_000 });
  report = JSON.parse(stdout.trim().split("\n").at(-1)!) as typeof report;
}, 320_000);

describe("a cell cannot kill the kernel by accident", () => {
  it("process.exit() in a cell is an error reply naming the call; the kernel keeps its variables", () => {
    const { exit, after, alive } = report.exit_in_cells! as Record<string, Observed>;
    expect(exit).toMatchObject({ status: "error", ename: "ProcessExitError", error_outputs: 1 });
    expect(exit!.evalue).toMatch(/^process\.exit\(3\) was called in a cell; the kernel keeps running/);
    expect(after).toMatchObject({ status: "ok", results: ["42"] });
    expect(alive).toBe(true);
  });

  it("process.abort() too, and process.exit() from a timer the cell left is reported on the cell, not obeyed", () => {
    const { abort, exit_in_timer: timer } = report.exit_in_cells! as Record<string, Observed>;
    expect(abort).toMatchObject({ status: "error", ename: "ProcessExitError" });
    expect(abort!.evalue).toMatch(/^process\.abort\(\) was called in a cell/);
    expect(timer).toMatchObject({ status: "ok", results: ["'timer done'"] });
    expect(timer!.stderr).toMatch(/ProcessExitError: process\.exit\(0\) was called in a cell/);
  });
});

describe("a kernel killed mid-run", () => {
  it("leaves its run crashed as soon as the next kernel opens the store, with the points it logged", () => {
    const observed = report.kill_mid_run!;
    expect(observed.flushed_before_kill).toBe(true);
    expect(observed.durable_before_kill).toBe(50);
    expect(observed.show_status).toBe("ok");
    expect(observed.pid_was_kernel).toBe(true);
    expect(observed.status).toBe("crashed");
    expect(observed.loss_points).toBe(50);
    expect(String((observed.listed as string[])[0])).toMatch(/doomed\s*│?\s*crashed|doomed.*crashed/);
  });
});
