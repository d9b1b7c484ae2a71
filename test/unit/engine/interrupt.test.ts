// Interrupting cells: a synchronous loop, a never-settling await, and a loop after an await; state survives.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Worker } from "node:worker_threads";
import { watchdogReady } from "../../../kernel/engine/interrupt.js";
import { createHarness, resultText, type Harness } from "./harness.js";

let harness: Harness;

beforeAll(async () => {
  harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-interrupt-")));
  await harness.run("const kept = 'still here';");
  await watchdogReady();
});

afterAll(async () => {
  await harness.engine.shutdown();
});

type Interrupter = "sigint" | "message" | "engine";

// Runs in a worker: the main thread is blocked by the loop under test, as a kernel's would be.
const INTERRUPTER = `
const { workerData } = require("node:worker_threads");
const { BroadcastChannel } = require("node:worker_threads");
const flags = new Int32Array(workerData.flags);
const tick = () => {
  if (Atomics.load(flags, 1) === 1) return process.exit(0);
  if (Atomics.load(flags, 0) === 1) {
    if (workerData.mode === "sigint") process.kill(process.pid, "SIGINT");
    else { const c = new BroadcastChannel("labnote:interrupt"); c.postMessage({ type: "interrupt" }); c.close(); }
    return; // one interrupt, as a user presses the button once
  }
  setTimeout(tick, 300);
};
setTimeout(tick, 300);
`;

/** Runs the cell and interrupts it (repeatedly) once it has printed `started`, i.e. while its loop runs. */
async function runAndInterrupt(code: string, mode: Interrupter) {
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const worker = mode === "engine" ? undefined : new Worker(INTERRUPTER, { eval: true, workerData: { flags: flags.buffer, mode } });
  const timer =
    mode === "engine"
      ? setInterval(() => {
          if (Atomics.load(flags, 0) !== 1) return;
          harness.engine.interrupt();
          clearInterval(timer);
        }, 300)
      : undefined;
  try {
    return await harness.run(`console.log("started");\n${code}`, { onOutput: () => Atomics.store(flags, 0, 1) });
  } finally {
    Atomics.store(flags, 1, 1);
    if (timer) clearInterval(timer);
    await worker?.terminate();
  }
}

describe("interrupt", () => {
  it("stops a synchronous while (true) on SIGINT", async () => {
    const run = await runAndInterrupt("while (true) {}", "sigint");
    expect(run.outcome).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(resultText(await harness.run("kept"))).toBe("'still here'");
  });

  it("stops a never-settling await", async () => {
    const run = await runAndInterrupt("await new Promise(() => {});", "engine");
    expect(run.outcome).toMatchObject({ status: "error", ename: "Interrupted" });
    if (run.outcome.status === "error") expect(run.outcome.evalue).toMatch(/interrupted/i);
    expect(resultText(await harness.run("kept"))).toBe("'still here'");
  });

  it("stops a synchronous while (true) on an interrupt message from another thread", async () => {
    const run = await runAndInterrupt("while (true) {}", "message");
    expect(run.outcome).toMatchObject({ status: "error", ename: "Interrupted" });
    // Stopping the loop must not break which cell later output belongs to.
    const starter = await harness.run('setTimeout(() => console.log("late"), 20);');
    await harness.run("await new Promise((r) => setTimeout(r, 100));");
    const late = [...harness.late.values()].flat();
    expect(starter.outcome.status).toBe("ok");
    expect(late).toContainEqual({ type: "stream", name: "stdout", text: "late\n" });
  });

  it("stops a loop that runs after an await (message mode, from any thread)", async () => {
    const run = await runAndInterrupt("await new Promise((r) => setTimeout(r, 1));\nwhile (true) {}", "message");
    expect(run.outcome).toMatchObject({ status: "error", ename: "Interrupted" });
    const next = await harness.run("kept + '!'");
    expect(resultText(next)).toBe("'still here!'");
  });

  it("stops a loop-free cell that hangs inside a function an earlier cell defined (message mode)", async () => {
    // Such cells run without vm's breakOnSigint (it costs ~1 ms a cell); the watchdog stops them instead.
    await harness.run("function spinForever(): number { let n = 0; while (n >= 0) n = (n + 1) % 10; return n; }");
    const run = await runAndInterrupt("spinForever();", "message");
    expect(run.outcome).toMatchObject({ status: "error", ename: "Interrupted" });
    expect(resultText(await harness.run("kept + '?'"))).toBe("'still here?'");
  });
});
