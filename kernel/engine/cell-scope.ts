// Which cell an output belongs to. Every cell runs inside an AsyncLocalStorage scope, so timers and promises a
// cell leaves behind still write to that cell (with its parent header) after it has finished, like ipykernel.
// process.stdout/stderr writes and the `console` global are routed through the scope of the code that writes.
import { AsyncLocalStorage } from "node:async_hooks";
import { Console } from "node:console";
import { Writable } from "node:stream";
import type { ExecuteRequest, OutputSink } from "../types.js";

/** Counts what a cell produced, for CellHooks.afterCell. */
export interface OutputSummary {
  streams: number;
  displays: number;
  errors: number;
  mimeTypes: Set<string>;
}

export interface CellScope {
  readonly executionCount: number;
  readonly code: string;
  readonly request: ExecuteRequest;
  readonly output: OutputSink;
  readonly summary: OutputSummary;
  /** execute_reply payloads (e.g. the pager) collected while the cell runs. */
  readonly payload: Record<string, unknown>[];
}

const storage = new AsyncLocalStorage<CellScope>();
let lastScope: CellScope | undefined;

let runningScope: CellScope | undefined;

/** Runs a cell in its scope; while it runs, writes from outside any cell's context also go to it. */
export async function runInCellScope<T>(scope: CellScope, fn: () => Promise<T>): Promise<T> {
  lastScope = scope;
  runningScope = scope;
  try {
    return await storage.run(scope, fn);
  } finally {
    if (runningScope === scope) runningScope = undefined;
  }
}

interface AsyncWrapBinding {
  clearAsyncIdStack(): void;
  async_hook_fields: Uint32Array;
  constants: { kCheck: number };
}

function asyncWrapBinding(): AsyncWrapBinding | undefined {
  try {
    return (process as unknown as { binding(name: string): AsyncWrapBinding }).binding("async_wrap");
  } catch {
    return undefined;
  }
}

let savedAsyncStackCheck: number | undefined;

/**
 * Stopping code with V8's terminateExecution skips the async-hook bookkeeping (AsyncLocalStorage's hooks, the
 * async-id stack), and Node aborts on its stack checks. So just before terminating (called on the paused main
 * thread by the interrupt watchdog) tracking and the check are switched off; once the main thread is free again,
 * the stale stack is cleared and the check restored (resetAsyncIdStackAfterTermination).
 */
export function suspendScopeTracking(): void {
  storage.disable();
  const binding = asyncWrapBinding();
  if (binding && savedAsyncStackCheck === undefined) {
    savedAsyncStackCheck = binding.async_hook_fields[binding.constants.kCheck];
    binding.async_hook_fields[binding.constants.kCheck] = 0;
  }
}

export function resetAsyncIdStackAfterTermination(): void {
  const binding = asyncWrapBinding();
  if (!binding) return;
  binding.clearAsyncIdStack();
  if (savedAsyncStackCheck !== undefined) binding.async_hook_fields[binding.constants.kCheck] = savedAsyncStackCheck;
  savedAsyncStackCheck = undefined;
}

Object.defineProperty(globalThis, Symbol.for("labnote.beforeTerminate"), { value: suspendScopeTracking, configurable: true });

/** The scope of the running code, else the last cell started (async leftovers of code outside any cell). */
export function currentCellScope(): CellScope | undefined {
  return storage.getStore() ?? lastScope;
}

/** The scope of the cell whose code (or whose leftover timers and promises) is running now; undefined for the kernel's own code. */
export function scopeOfCallingCode(): CellScope | undefined {
  return storage.getStore();
}

/** Wraps a sink so that what goes through it is counted in `summary`. */
export function countingSink(inner: OutputSink, summary: OutputSummary): OutputSink {
  const noteMimes = (data: Record<string, unknown>): void => {
    for (const mime of Object.keys(data)) summary.mimeTypes.add(mime);
  };
  return {
    stream(name, text) {
      summary.streams++;
      inner.stream(name, text);
    },
    displayData(data, metadata, transient) {
      summary.displays++;
      noteMimes(data);
      inner.displayData(data, metadata, transient);
    },
    updateDisplayData(data, metadata, transient) {
      noteMimes(data);
      inner.updateDisplayData(data, metadata, transient);
    },
    clearOutput(wait) {
      inner.clearOutput(wait);
    },
  };
}

type WriteFunction = typeof process.stdout.write;
let installed: { stdout: WriteFunction; stderr: WriteFunction; console: Console } | undefined;

function routedWrite(name: "stdout" | "stderr", original: WriteFunction): WriteFunction {
  const decoder = new TextDecoder();
  return function write(this: unknown, chunk: unknown, encodingOrCallback?: unknown, callback?: unknown): boolean {
    // Outside any cell's context and between cells, writes are the kernel's own log: keep them on its stderr.
    const scope = storage.getStore() ?? runningScope;
    if (!scope) return (original as (...args: unknown[]) => boolean).call(process[name], chunk, encodingOrCallback, callback);
    const text = typeof chunk === "string" ? chunk : decoder.decode(chunk as Uint8Array);
    if (text.length > 0) scope.output.stream(name, text);
    const done = typeof encodingOrCallback === "function" ? encodingOrCallback : callback;
    if (typeof done === "function") queueMicrotask(() => (done as () => void)());
    return true;
  } as WriteFunction;
}

/** Routes process.stdout/stderr and the global console to the cell that writes. Idempotent. */
export function installOutputRouting(): void {
  if (installed) return;
  const stdout = process.stdout.write;
  const stderr = process.stderr.write;
  process.stdout.write = routedWrite("stdout", stdout);
  process.stderr.write = routedWrite("stderr", stderr);
  const toStream = (name: "stdout" | "stderr"): Writable =>
    new Writable({
      write(chunk: Buffer | string, _encoding, done) {
        process[name].write(chunk);
        done();
      },
    });
  const previousConsole = globalThis.console;
  // A fresh Console: test runners replace the global console with one that bypasses process.stdout.
  const cellConsole = new Console({ stdout: toStream("stdout"), stderr: toStream("stderr"), colorMode: false });
  globalThis.console = cellConsole;
  installed = { stdout, stderr, console: previousConsole };
}

/** Writes to the kernel process's own stderr (its log), never to a cell. */
export function writeKernelLog(text: string): void {
  const write = installed?.stderr ?? process.stderr.write;
  write.call(process.stderr, text);
}

export function uninstallOutputRouting(): void {
  if (!installed) return;
  process.stdout.write = installed.stdout;
  process.stderr.write = installed.stderr;
  globalThis.console = installed.console;
  installed = undefined;
  lastScope = undefined;
}
