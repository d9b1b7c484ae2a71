// Stopping a running cell. Three situations:
// 1. synchronous code inside the vm call (`while (true) {}`): vm's breakOnSigint turns SIGINT into an exception;
// 2. a never-settling `await`: the cell's promise is raced against an interrupt promise;
// 3. synchronous code after an await (`await sleep(1); while (true) {}`) runs outside the vm call, so only
//    V8 can stop it: a watchdog worker holds an inspector session on the main thread and calls
//    Runtime.terminateExecution when an interrupt request is not answered by the (blocked) main thread.
// Interrupt requests arrive as SIGINT (signal mode: cases 1 and 2) or on the BroadcastChannel
// INTERRUPT_CHANNEL, which any thread may post to (message mode from the wire layer's io worker: all three).
import { BroadcastChannel, Worker } from "node:worker_threads";
import { resetAsyncIdStackAfterTermination } from "./cell-scope.js";

export const INTERRUPT_CHANNEL = "labnote:interrupt";

/** Asks the engine to interrupt the running cell; callable from any thread (e.g. the io worker). */
export function requestInterrupt(): void {
  const channel = new BroadcastChannel(INTERRUPT_CHANNEL);
  channel.postMessage({ type: "interrupt" });
  channel.close();
}

export class InterruptedError extends Error {
  override readonly name = "Interrupted";
  constructor() {
    super("The cell was interrupted (KeyboardInterrupt). Variables defined before the interrupt are kept.");
  }
}

// state[0]: a cell is running; state[1]: interrupts the main thread has seen; state[2]: the watchdog terminated.
const WATCHDOG_SOURCE = `
const { workerData, BroadcastChannel, parentPort } = require("node:worker_threads");
const inspector = require("node:inspector");
const state = new Int32Array(workerData.state);
let session;
let stopping = false;
const post = (method, params) => new Promise((resolve, reject) =>
  session.post(method, params || {}, (error, result) => (error ? reject(error) : resolve(result))));
async function stopMainThread() {
  if (!session) { session = new inspector.Session(); session.connectToMainThread(); }
  // Pause the main thread to run one call on it (switch async tracking off), then terminate the running code.
  const paused = new Promise((resolve) => session.once("Debugger.paused", resolve));
  await post("Debugger.enable");
  await post("Debugger.pause");
  await paused;
  await post("Runtime.evaluate", { expression: 'globalThis[Symbol.for("labnote.beforeTerminate")]?.()' });
  Atomics.store(state, 2, 1);
  await post("Debugger.resume");
  await post("Debugger.disable");
  await post("Runtime.terminateExecution");
}
const channel = new BroadcastChannel(${JSON.stringify(INTERRUPT_CHANNEL)});
channel.onmessage = (event) => {
  if (!event.data || event.data.type !== "interrupt") return;
  onInterruptRequest();
};
// Signal mode: Jupyter sends SIGINT to the kernel's process group. The main thread may be blocked, and a worker
// cannot listen for signals, so a tiny shell in the same group traps SIGINT and tells us through a pipe.
// It exits when the pipe closes (the kernel is gone).
try {
  const relay = require("node:child_process").spawn("/bin/bash", ["-c",
    "trap 'echo interrupt' INT; while true; do read -r _; status=$?; if [ $status -eq 0 ] || [ $status -gt 128 ]; then continue; fi; exit 0; done"],
    { stdio: ["pipe", "pipe", "ignore"] });
  relay.on("error", () => undefined);
  relay.stdout.on("data", () => {
    const notify = new BroadcastChannel(${JSON.stringify(INTERRUPT_CHANNEL)});
    notify.postMessage({ type: "interrupt", via: "signal" });
    notify.close();
  });
} catch {
  // no bash: signal mode then stops synchronous loops and awaits, not loops after an await
}
function onInterruptRequest() {
  if (stopping) return;
  const ackBefore = Atomics.load(state, 1);
  setTimeout(() => {
    if (Atomics.load(state, 0) !== 1 || Atomics.load(state, 1) !== ackBefore) return;
    stopping = true;
    stopMainThread()
      .catch((error) => process.stderr.write("labnote: could not stop the cell: " + error.message + "\\n"))
      .finally(() => { stopping = false; });
  }, 150);
};
parentPort.postMessage("ready");
`;

let markWatchdogReady: () => void = () => undefined;
const watchdogReadyPromise = new Promise<void>((resolve) => {
  markWatchdogReady = resolve;
});

/** Resolves once an interrupt watchdog listens (interrupts of loops after an await need it). */
export function watchdogReady(): Promise<void> {
  return watchdogReadyPromise;
}

export class InterruptController {
  private readonly state = new Int32Array(new SharedArrayBuffer(12));
  private rejectCurrent: ((error: Error) => void) | undefined;
  private abortCurrent: AbortController | undefined;
  private readonly channel: BroadcastChannel;
  private watchdog: Worker | undefined;
  private readonly onSigint = (): void => this.interrupt();

  constructor() {
    this.channel = new BroadcastChannel(INTERRUPT_CHANNEL);
    this.channel.onmessage = (event: unknown) => {
      const data = (event as { data?: { type?: string } }).data;
      if (data?.type === "interrupt") this.interrupt();
    };
    (this.channel as unknown as { unref(): void }).unref();
    process.on("SIGINT", this.onSigint);
  }

  /** Starts the watchdog worker (≈30 ms); done in the background after start-up. */
  startWatchdog(): void {
    if (this.watchdog) return;
    this.watchdog = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { state: this.state.buffer } });
    this.watchdog.unref();
    this.watchdog.once("message", () => markWatchdogReady());
    this.watchdog.on("error", (error) => process.stderr.write(`labnote: interrupt watchdog failed: ${error.message}\n`));
  }

  /** Marks a cell as running; returns the promise that rejects on interrupt and the cell's AbortSignal. */
  beginCell(): { interrupted: Promise<never>; signal: AbortSignal } {
    Atomics.store(this.state, 0, 1);
    const abort = new AbortController();
    this.abortCurrent = abort;
    const interrupted = new Promise<never>((_, reject) => {
      this.rejectCurrent = reject;
    });
    interrupted.catch(() => undefined);
    return { interrupted, signal: abort.signal };
  }

  endCell(): void {
    Atomics.store(this.state, 0, 0);
    this.rejectCurrent = undefined;
    this.abortCurrent = undefined;
  }

  get cellRunning(): boolean {
    return Atomics.load(this.state, 0) === 1;
  }

  /** Interrupts the running cell, if any (the main thread saw the request: no need for the watchdog). */
  interrupt(): void {
    Atomics.add(this.state, 1, 1);
    if (Atomics.exchange(this.state, 2, 0) === 1) resetAsyncIdStackAfterTermination();
    const error = new InterruptedError();
    this.abortCurrent?.abort(error);
    this.rejectCurrent?.(error);
  }

  close(): void {
    process.off("SIGINT", this.onSigint);
    this.channel.close();
    void this.watchdog?.terminate();
  }
}
