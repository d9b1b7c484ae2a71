// A persistent V8 code cache for the TypeScript compiler (~9 MB of JavaScript). Compiling it, and then lazily
// compiling the parser, binder, checker and emitter functions the first program needs, is a large part of a
// kernel's first result. The module is compiled through vm.Script with the bytecode an earlier kernel left in the
// user's cache directory, and once this kernel has built and used its compiler, the bytecode of every function
// compiled so far is written back for the next launch (the technique of v8-compile-cache; Node 20 has no
// module.enableCompileCache). A cache V8 rejects (another Node or V8, changed flags) is rewritten; a missing or
// unwritable cache directory only costs the speed-up. LABNOTE_CODE_CACHE=off turns it off.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { createRequire, Module } from "node:module";
import { homedir } from "node:os";
import { basename, dirname, join } from "node:path";
import vm from "node:vm";

export interface CachedModule {
  exports: unknown;
  /** What the cache did for this load: used (V8 accepted it), rejected, missing, off, or already loaded by Node. */
  readonly status: "used" | "rejected" | "missing" | "off" | "already-loaded";
  /** Writes the bytecode compiled so far when the cache was missing or rejected; false when nothing was written. */
  save(): boolean;
}

interface ModuleInternals {
  _nodeModulePaths(from: string): string[];
}

/** `$XDG_CACHE_HOME/labnote/v8` (or `~/.cache/labnote/v8`); undefined when turned off. */
export function defaultCodeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.LABNOTE_CODE_CACHE === "off") return undefined;
  const base = env.XDG_CACHE_HOME || join(homedir(), ".cache");
  return join(base, "labnote", "v8");
}

/** One cache file per module file version and per Node/V8 build: a cache from another never reaches V8. */
function cacheFileFor(cacheDir: string, filename: string): string {
  const stat = statSync(filename);
  const key = createHash("sha256")
    .update([filename, stat.size, stat.mtimeMs, process.version, process.versions.v8, process.arch, process.execArgv.join(" ")].join("\0"))
    .digest("hex")
    .slice(0, 16);
  return join(cacheDir, `${basename(filename, ".js")}-${key}.bin`);
}

function readCache(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/**
 * `requireFrom(specifier)`, but compiled with the code cache in `cacheDir`; the module lands in Node's require cache,
 * so every later `require` of it (tslab's included) gets this instance.
 */
export function requireWithCodeCache(requireFrom: NodeJS.Require, specifier: string, cacheDir: string | undefined): CachedModule {
  const filename = requireFrom.resolve(specifier);
  const loaded = requireFrom.cache[filename];
  if (loaded !== undefined) return { exports: loaded.exports, status: "already-loaded", save: () => false };
  if (cacheDir === undefined) return { exports: requireFrom(specifier), status: "off", save: () => false };
  const cacheFile = cacheFileFor(cacheDir, filename);
  const cachedData = readCache(cacheFile);
  const script = new vm.Script(Module.wrap(readFileSync(filename, "utf8")), { filename, cachedData });
  const module = new Module(filename);
  module.filename = filename;
  module.paths = (Module as unknown as ModuleInternals)._nodeModulePaths(dirname(filename));
  requireFrom.cache[filename] = module;
  const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
  try {
    wrapper.call(module.exports, module.exports, createRequire(filename), module, filename, dirname(filename));
  } catch (error) {
    delete requireFrom.cache[filename];
    throw error;
  }
  module.loaded = true;
  const status = cachedData === undefined ? "missing" : script.cachedDataRejected ? "rejected" : "used";
  let saved = false;
  return {
    exports: module.exports,
    status,
    save() {
      if (saved || status === "used") return false;
      saved = true;
      try {
        mkdirSync(cacheDir, { recursive: true });
        // Written beside and renamed: a kernel starting meanwhile reads the old file or the new one, never half of one.
        const partial = `${cacheFile}.${process.pid}.partial`;
        writeFileSync(partial, script.createCachedData());
        renameSync(partial, cacheFile);
        return true;
      } catch {
        return false;
      }
    },
  };
}
