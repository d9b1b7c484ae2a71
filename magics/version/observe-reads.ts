// Observes which files the kernel process reads while a cell runs: wraps node:fs readFile/readFileSync/
// createReadStream/open/openSync and their fs.promises forms. Idle cost is one boolean test per call.
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

type Listener = (absolutePath: string) => void;

let installed = false;
let listener: Listener | undefined;

function pathOf(target: unknown): string | undefined {
  if (typeof target === "string") return resolve(target);
  if (target instanceof URL) return target.protocol === "file:" ? fileURLToPath(target) : undefined;
  if (Buffer.isBuffer(target)) return resolve(target.toString("utf8"));
  return undefined; // a file descriptor or a FileHandle: its path was seen when it was opened
}

function isReadFlag(flags: unknown): boolean {
  if (flags === undefined || flags === null) return true;
  if (typeof flags === "number") return (flags & 3) === fs.constants.O_RDONLY;
  if (typeof flags === "string") return flags === "r" || flags === "rs" || flags === "sr";
  return true;
}

function flagsOf(options: unknown): unknown {
  if (options && typeof options === "object" && "flag" in options) return (options as { flag?: unknown }).flag;
  if (options && typeof options === "object" && "flags" in options) return (options as { flags?: unknown }).flags;
  return undefined;
}

function notify(target: unknown, flags: unknown): void {
  const current = listener;
  if (current === undefined || !isReadFlag(flags)) return;
  const path = pathOf(target);
  if (path !== undefined) current(path);
}

/** Installs the wrappers once per process (later calls do nothing). */
export function installReadObserver(): void {
  if (installed) return;
  installed = true;
  const mutableFs = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
  const wrap = (name: string, flagsFrom: (args: unknown[]) => unknown): void => {
    const original = mutableFs[name]!;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      if (listener !== undefined) notify(args[0], flagsFrom(args));
      return original.apply(this, args);
    };
    Object.defineProperty(wrapped, "name", { value: name });
    mutableFs[name] = wrapped;
  };
  wrap("readFile", (args) => flagsOf(args[1]));
  wrap("readFileSync", (args) => flagsOf(args[1]));
  wrap("createReadStream", () => undefined);
  wrap("open", (args) => (typeof args[1] === "function" ? undefined : args[1]));
  wrap("openSync", (args) => args[1]);
  const promises = fs.promises as unknown as Record<string, (...args: unknown[]) => unknown>;
  for (const name of ["readFile", "open"] as const) {
    const original = promises[name]!;
    promises[name] = function (this: unknown, ...args: unknown[]): unknown {
      if (listener !== undefined) notify(args[0], name === "open" ? args[1] : flagsOf(args[1]));
      return original.apply(this, args);
    };
  }
  // ESM named imports of node:fs / node:fs/promises see the wrappers too.
  syncBuiltinESMExports();
}

/** Starts sending every path read to `onRead` (replacing any previous listener). */
export function startObserving(onRead: Listener): void {
  listener = onRead;
}

export function stopObserving(): void {
  listener = undefined;
}
