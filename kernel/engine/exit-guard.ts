// A cell cannot end the kernel by accident: process.exit() and process.abort() called from a cell's code (or from
// timers and promises it left running) throw ProcessExitError instead, which the cell reports as an error reply and
// the kernel lives on, as ipykernel turns sys.exit() into a SystemExit traceback. The kernel's own exits (shutdown,
// a dead io worker) run outside any cell's async context and go through unchanged.
import { scopeOfCallingCode } from "./cell-scope.js";

export class ProcessExitError extends Error {
  override readonly name = "ProcessExitError";
  constructor(readonly call: string) {
    super(
      `${call} was called in a cell; the kernel keeps running and the cell stops here. ` +
        "To stop the kernel, use the frontend's Shut Down or Restart; to end a loop early, return or throw instead.",
    );
  }
}

let original: { exit: typeof process.exit; abort: typeof process.abort } | undefined;

function describeCode(code: unknown): string {
  return code === undefined ? "" : typeof code === "string" ? JSON.stringify(code) : String(code);
}

/** Installs the guard on process.exit and process.abort. Idempotent. */
export function installExitGuard(): void {
  if (original) return;
  const saved = { exit: process.exit, abort: process.abort };
  original = saved;
  process.exit = function exit(code?: number | string | null): never {
    if (scopeOfCallingCode()) throw new ProcessExitError(`process.exit(${describeCode(code)})`);
    return saved.exit.call(process, code);
  } as typeof process.exit;
  process.abort = function abort(): never {
    if (scopeOfCallingCode()) throw new ProcessExitError("process.abort()");
    return saved.abort.call(process);
  } as typeof process.abort;
}

/** Puts the original process.exit and process.abort back. */
export function uninstallExitGuard(): void {
  if (!original) return;
  process.exit = original.exit;
  process.abort = original.abort;
  original = undefined;
}
