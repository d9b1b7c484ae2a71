// Fault tests through jupyter_client and raw ZeroMQ (test/clients/py/kernel_faults.py): the kernel drops what it
// must drop, survives what users do to it, and still answers.
import { beforeAll, describe, expect, it } from "vitest";
import { ensureKernelspecs, freshProject, MESSAGE_MODE_KERNEL, runPython } from "./kernel-wire-env.js";

type Report = Record<string, Record<string, unknown>>;
let report: Report;

beforeAll(async () => {
  ensureKernelspecs();
  const project = freshProject("faults");
  const { stdout } = await runPython("kernel_faults.py", ["labnote", MESSAGE_MODE_KERNEL, project], { cwd: project, timeoutMs: 540_000 });
  report = JSON.parse(stdout.trim().split("\n").at(-1)!) as Report;
}, 600_000);

describe("labnote kernel under faults (jupyter_client, raw zmq)", () => {
  it("drops unsigned, badly signed and malformed messages and unknown msg_types without replying, and keeps answering", () => {
    expect(report.wire_faults).toEqual({
      unsigned_replies: 0,
      badly_signed_replies: 0,
      malformed_replies: 0,
      unknown_type_replies: 0,
      signed_replies: 1,
      after_faults_result: ["42"],
    });
  });

  it("answers comm_open to an unknown target with comm_close", () => {
    expect(report.comm_unknown_target).toEqual({ comm_close_count: 1, comm_info_status: "ok", open_comms: 0 });
  });

  it("reports an unhandled promise rejection from a cell and stays alive", () => {
    const observed = report.unhandled_rejection!;
    expect(observed.stderr).toMatch(/nobody catches me/);
    expect(observed.alive_result).toEqual(["2"]);
  });

  it("delivers 10 MB of output completely and in order, coalesced into fewer messages", () => {
    const observed = report.big_output!;
    expect(observed.status).toBe("ok");
    expect(observed.stdout_bytes).toBe(10240 * 1024);
    expect(observed.lines).toBe(10240);
    expect(observed.stream_messages as number).toBeLessThan(10240);
    expect(observed.alive_result).toEqual(["4"]);
  });

  it("aborts an execute queued behind a failing one (stop_on_error), then runs the next", () => {
    expect(report.stop_on_error).toEqual({ failing: "error", queued: "aborted", after: ["'runs after'"] });
  });

  it("reports a runtime error with the cells' own line numbers and lines, through an earlier cell's function", () => {
    const observed = report.runtime_traceback!;
    expect(observed.status).toBe("error");
    expect(observed.error_outputs).toBe(1);
    expect(observed.traceback).toEqual([
      "RangeError: too large: 5",
      expect.stringMatching(/^ {4}at check \(cell\[\d+\], line 5\)$/),
      "        if (value > limits.max) throw new RangeError(`too large: ${value}`);",
      expect.stringMatching(/^ {4}at cell\[\d+\], line 3$/),
      "        check(5, limits);",
    ]);
  });

  it("round-trips input() over the stdin channel", () => {
    expect(report.stdin).toEqual({ prompt: "name? ", parent_is_execute: true, status: "ok", result: ["'ADA'"] });
  });

  const interrupted = { status: "error", ename: "Interrupted", error_outputs: 1 };
  it("stops while (true) {}, a hang inside an earlier cell's function and a never-settling await in signal mode, keeping earlier variables", () => {
    expect(report.interrupt_signal).toEqual({ busy_loop: interrupted, never_settles: interrupted, hangs_in_function: interrupted, kept_result: ["42"] });
  });

  it("stops while (true) {}, a hang inside an earlier cell's function, a never-settling await and a loop after an await in message mode, keeping earlier variables", () => {
    expect(report.interrupt_message).toEqual({
      busy_loop: interrupted,
      never_settles: interrupted,
      hangs_in_function: interrupted,
      loop_after_await: interrupted,
      kept_result: ["42"],
    });
  });

  it("restarts on control into a new process with a fresh scope, and history survives the restart", () => {
    const observed = report.restart_history!;
    expect(observed.new_process).toBe(true);
    expect(observed.history_hits).toBe(1);
    expect(observed.after_restart_status).toBe("error");
    expect(observed.after_restart_error).toMatch(/marker_/);
  });

  it("shuts down on control: parented reply, then a clean exit", () => {
    expect(report.shutdown).toEqual({ reply_status: "ok", restart: false, parented: true, exit_code: 0 });
  });
});
