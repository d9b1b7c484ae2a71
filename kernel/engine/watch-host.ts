// How labnote steers the watch program tslab builds for its cells: the plain builder instead of the incremental one,
// no rebuild when tslab announces an in-memory file as changed although its text is what TypeScript last read, and
// TypeScript's two watch timers behind tslab's single rebuild timer, and fresh cells checked in a view of the last
// program instead of a new one (cell-swap.ts). Installed only while tslab creates its converter.
import { createCellSwapper, type CellSwapper, type SwapProgram, type SwapTypeScript } from "./cell-swap.js";
import { handOverCommonJS } from "./transpile-cache.js";
import type { DeferredTypeRoots } from "./type-roots.js";

type WatchCallback = (fileName: string, kind: number, modified?: Date) => void;
interface WatchHost {
  readFile(path: string): string | undefined;
  watchFile(path: string, callback: WatchCallback, interval?: number, options?: unknown): { close(): void };
  watchDirectory?(path: string, callback: (fileName: string) => void, recursive?: boolean, options?: unknown): { close(): void };
  setTimeout?(callback: (...args: unknown[]) => void, ms: number, ...args: unknown[]): unknown;
  clearTimeout?(handle: unknown): void;
  /** Set by tslab on the host it gets: receives each new builder. */
  afterProgramCreate?(builder: BuilderLike): void;
}
interface WatchProgramLike {
  updateRootFileNames(fileNames: string[]): void;
}
export interface WatchHostFactory extends SwapTypeScript {
  createWatchCompilerHost(...args: unknown[]): WatchHost;
  createWatchProgram(host: unknown): WatchProgramLike;
  createAbstractBuilder(...args: unknown[]): BuilderLike;
  getResolvedModule(file: SourceFileLike, name: string, mode: unknown): { resolvedFileName?: string } | undefined;
  getModeForUsageLocation(file: SourceFileLike, usage: unknown): unknown;
  /** Binds a file (its symbols and locals) unless it is bound already. */
  bindSourceFile(file: SourceFileLike, options: object): void;
  FileWatcherEventKind: { Changed: number };
  /** TypeScript's module transformer: CommonJS for a program whose `module` is ESNext (cell emit, oneStepCommonJS). */
  transformModule(context: unknown): unknown;
}
interface SourceFileLike {
  fileName: string;
  text?: string;
  flags?: number;
  isDeclarationFile: boolean;
  imports?: readonly { text: string }[];
}
type WriteFile = (fileName: string, text: string, ...rest: unknown[]) => void;
interface CustomTransformers {
  before?: unknown[];
  after?: unknown[];
  afterDeclarations?: unknown[];
}
interface BuilderLike {
  emit(file?: SourceFileLike, writeFile?: WriteFile, cancellationToken?: unknown, emitOnlyDts?: boolean, transformers?: CustomTransformers): unknown;
  getProgram(): {
    getSourceFile(name: string): SourceFileLike | undefined;
    getSourceFiles(): readonly SourceFileLike[];
    getCompilerOptions(): object;
  };
  getAllDependencies(file: SourceFileLike): readonly string[];
}

export interface ProgramState {
  builds: number;
  pending(): boolean;
}

export interface WatchHostOptions {
  deferred?: DeferredTypeRoots;
  /** Check fresh cells in a view of the last program instead of a new one (cell-swap.ts). Default: on. */
  swapCells?: boolean;
  /** Emit a self-contained cell as CommonJS in one pass (oneStepCommonJS). Default: on. */
  oneStepEmit?: boolean;
  /**
   * Filled in by the watch host created while patched: how many builders (programs) it made, and whether a program
   * update is waiting (a watched file or directory changed, root files changed) — what a memo of conversions needs to
   * know that the program it would convert with is the one it converted with before.
   */
  programState?: ProgramState;
  /**
   * false: every program update goes through TypeScript's watch program. Default: a swap is made directly when the
   * update is one for the cell's in-memory files only (see `fire`).
   */
  directSwap?: boolean;
  /** Receives the swapper of the watch host created while patched. */
  onSwapper?: (swapper: CellSwapper) => void;
}

/**
 * The files `file` imports, directly or through other source files, itself first; declaration files are listed but
 * not followed (tslab keeps only .ts/.js sources: the local modules a cell imports, converted beside it).
 */
function sourceDependencies(ts: WatchHostFactory, builder: BuilderLike, file: SourceFileLike): string[] {
  const program = builder.getProgram();
  const names = [file.fileName];
  const seen = new Set(names);
  const queue = [file];
  while (queue.length > 0) {
    const current = queue.pop()!;
    for (const specifier of current.imports ?? []) {
      const resolved = ts.getResolvedModule(current, specifier.text, ts.getModeForUsageLocation(current, specifier))?.resolvedFileName;
      const target = resolved === undefined ? undefined : program.getSourceFile(resolved);
      if (!target || seen.has(target.fileName)) continue;
      seen.add(target.fileName);
      names.push(target.fileName);
      if (!target.isDeclarationFile) queue.push(target);
    }
  }
  return names;
}

/**
 * tslab emits a cell as an ES module (its transformers rewrite references to earlier cells and store the last
 * expression), then converts that text to CommonJS with transpileModule: a second parse, bind, check (the emit
 * resolver's) and emit (~1–2.5 ms of a fresh cell, the largest share of a new expression). For a cell that imports
 * nothing, requires nothing and declares no module or namespace, TypeScript's own CommonJS transform is appended after
 * tslab's transformers in the cell's emit, so the emit writes CommonJS in one pass; the ESM→CommonJS step is handed
 * that text and returns it as it is (transpile-cache.ts). It is the transform transpileModule runs (the program's
 * `module` is ESNext, so the module transformer delegates to CommonJS), with the same esModuleInterop, target and
 * noImplicitUseStrict. What differs is layout only: printed once, a block keeps the cell's own line breaks where the
 * two passes printed the ESM text and re-read it (`function f() { for (…)\n yield n; }` on one line stays so instead
 * of becoming four lines). The tokens are the same, and TypeScript's printer ends every statement with its semicolon,
 * so no line break changes what runs; a function's toString shows the one-pass layout. Syntax the TypeScript transform
 * turns into JavaScript with marks of its own keeps the two passes (MAY_EMIT_DIFFERENTLY): an enum's IIFE, for one,
 * gets `exports.E = E` after it in one pass and inside it (`E || (exports.E = E = {})`) in two; so do decorators and
 * `declare`. test/unit/engine/cell-swap.test.ts compares the two token by token over many cells.
 */
const MAY_EMIT_DIFFERENTLY = /\bimport\b|\brequire\b|\bexport\s*(=|\*|\{[^}]*\}\s*from)|\benum\b|@|\bdeclare\b|\bnamespace\b|\bmodule\b/;
/** NodeFlags.PossiblyContainsDynamicImport (TypeScript 5.0). */
const POSSIBLY_CONTAINS_DYNAMIC_IMPORT = 1 << 21;

function oneStepCommonJS(ts: WatchHostFactory, builder: BuilderLike): void {
  const emit = builder.emit.bind(builder);
  builder.emit = (file, writeFile, cancellationToken, emitOnlyDts, transformers) => {
    handOverCommonJS(undefined);
    const name = file?.fileName ?? "";
    const isCell = name.slice(Math.max(name.lastIndexOf("/"), name.lastIndexOf("\\")) + 1) === "__tslab__.ts";
    const selfContained =
      file !== undefined && (file.imports?.length ?? 0) === 0 && ((file.flags ?? 0) & POSSIBLY_CONTAINS_DYNAMIC_IMPORT) === 0 && !MAY_EMIT_DIFFERENTLY.test(file.text ?? "@");
    if (!isCell || !selfContained || writeFile === undefined || emitOnlyDts || transformers?.after === undefined) {
      return emit(file, writeFile, cancellationToken, emitOnlyDts, transformers);
    }
    const commonJS = (context: unknown) => ts.transformModule(context);
    const write: WriteFile = (fileName, text, ...rest) => {
      if (fileName.endsWith(".js")) handOverCommonJS(text);
      writeFile(fileName, text, ...rest);
    };
    return emit(file, write, cancellationToken, emitOnlyDts, { ...transformers, after: [...transformers.after, commonJS] });
  };
}

/** tslab's in-memory files: the cell being converted or completed, and the declarations of earlier cells. */
const TSLAB_MEMORY_FILES = new Set(["__tslab__.ts", "__prev__.d.ts"]);

/**
 * tslab announces both of its in-memory files as changed on every convert, complete and inspect, so TypeScript builds
 * a new program and type checker each time, even when neither file changed (the same completion asked twice, a cell
 * run again): ~0.5 ms per completion of re-checking what the old checker already knew. While the factory is patched,
 * the watch host it creates drops "changed" for those two files when their text is what TypeScript last read, and
 * gives tslab the rebuild timer it expects with nothing to rebuild. Returns the function that undoes the patch.
 */
export function skipUnchangedRebuilds(ts: WatchHostFactory, hostOptions: WatchHostOptions = {}): () => void {
  const { deferred } = hostOptions;
  const original = ts.createWatchCompilerHost;
  const descriptor = Object.getOwnPropertyDescriptor(ts, "createWatchCompilerHost");
  const programDescriptor = Object.getOwnPropertyDescriptor(ts, "createWatchProgram");
  if (!descriptor?.configurable || !programDescriptor?.configurable) return () => undefined;
  /** Tells the host created last that the watch program's root files were replaced (tslab's addModule, @types). */
  let onRootsChanged: (() => void) | undefined;
  const createWatchProgram = ts.createWatchProgram;
  const patchedProgram = function (this: unknown, watchHost: unknown): WatchProgramLike {
    const created = createWatchProgram.call(ts, watchHost);
    const notify = onRootsChanged;
    const update = created.updateRootFileNames.bind(created);
    created.updateRootFileNames = (fileNames) => {
      notify?.();
      update(fileNames);
    };
    return created;
  };
  const patched = function (this: unknown, ...args: unknown[]): WatchHost {
    if (deferred) args[1] = deferred.adjustOptions(args[1] as Record<string, unknown>, args[0] as string[]);
    // tslab leaves the builder to TypeScript's default, which re-derives every file's reference map and signature
    // for each new program (~2 ms a cell over the lib and @types files). tslab needs the program, the emit of one
    // file, and the local sources a cell imports: the plain builder, plus those dependencies read off the program.
    const swapper = hostOptions.swapCells === false ? undefined : createCellSwapper(ts);
    if (swapper) hostOptions.onSwapper?.(swapper);
    let baseBuilder: BuilderLike | undefined;
    /** Whether the watch program was given new root files since it last asked for a program (`fire`). */
    let rootsChanged = false;
    onRootsChanged = () => (rootsChanged = true);
    /** What TypeScript passed to the last program it asked for: a direct swap (see `fire`) passes the same. */
    let lastRequest: { rootNames: string[] | undefined; options: object; compilerHost: WatchHost } | undefined;
    const swappedBuilder = (view: SwapProgram, compilerHost: WatchHost): BuilderLike => {
      const swapped = ts.createAbstractBuilder(view, compilerHost);
      swapped.getAllDependencies = (file) => sourceDependencies(ts, swapped, file);
      if (hostOptions.oneStepEmit !== false) oneStepCommonJS(ts, swapped);
      if (hostOptions.programState) hostOptions.programState.builds++;
      return swapped;
    };
    if (args[3] === null || args[3] === undefined) {
      args[3] = (...builderArgs: unknown[]): BuilderLike => {
        const [rootNames, options, compilerHost] = builderArgs as [string[] | undefined, object, WatchHost];
        lastRequest = { rootNames, options, compilerHost };
        rootsChanged = false;
        const view = swapper?.trySwap(rootNames, options, compilerHost);
        if (view) return swappedBuilder(view, compilerHost);
        // The old program of a full build is the last full one: a swapped view is no program to reuse.
        if (swapper && baseBuilder) builderArgs[3] = baseBuilder;
        const builder = ts.createAbstractBuilder(...builderArgs);
        builder.getAllDependencies = (file) => sourceDependencies(ts, builder, file);
        if (hostOptions.oneStepEmit !== false) oneStepCommonJS(ts, builder);
        baseBuilder = builder;
        // Bind now, as the default builder does: tslab then hangs the cell under the declarations file
        // (srcFile.parent), which name resolution must find on an already bound file. Binding is all that needs:
        // the type checker comes when first asked for. tslab builds two programs for a cell that declares
        // something (the first only to read the cell's names); a checker for the first was thrown away unused.
        const program = builder.getProgram();
        for (const file of program.getSourceFiles()) ts.bindSourceFile(file, program.getCompilerOptions());
        swapper?.setBase(program as unknown as SwapProgram);
        if (hostOptions.programState) hostOptions.programState.builds++;
        return builder;
      };
    }
    const host = original.apply(this, args);
    const { setTimeout, clearTimeout, watchFile, watchDirectory } = host;
    if (!setTimeout || !clearTimeout) {
      // Without the watchers below the swap would not hear of changed files: every program is built in full.
      swapper?.disable();
      return host;
    }
    // A change the swapped view cannot know about (a file on disk, a virtual module, a directory of packages): the
    // next cell builds its program in full.
    if (swapper && watchDirectory) {
      host.watchDirectory = (path, callback, recursive, options) =>
        watchDirectory.call(host, path, (fileName) => {
          swapper.invalidate();
          callback(fileName);
        }, recursive, options);
    }
    // tslab keeps exactly one timer (the rebuild it fires itself in every convert/complete) and throws when a second
    // is set. TypeScript sets two kinds: the program update and, after a watched directory changed (a module created
    // after a failed import, an npm install), the invalidation of failed module lookups. Both go into one queue here,
    // run in order by tslab's single timer. Without this, the second kind made every later cell fail with
    // "Unexpected pending rebuildTimer" (tslab alone does the same).
    interface Queued { callback: (...args: unknown[]) => void; args: unknown[] }
    const queue = new Set<Queued>();
    if (hostOptions.programState) hostOptions.programState.pending = () => queue.size > 0;
    let tslabTimer: unknown;
    let firing = false;
    const directSwap = swapper !== undefined && hostOptions.directSwap !== false;
    /**
     * A program update that only the cell's in-memory files asked for, made without TypeScript's watch program: the
     * swap it would make in the end, handed to tslab. On the way there the watch program compares every file's
     * version, re-caches per-directory module resolutions and missing-file watches over all ~160 files: ~0.1–0.4 ms of
     * each update, two updates per declaring cell, none of which a swap needs (it resolves nothing and adds no file).
     * It is taken only while TypeScript's roots are the ones it last asked a program for (a virtual module or the
     * @types packages added make a new list) and the swap's own checks pass (a watched file or directory that changed
     * dropped the base); otherwise TypeScript's update runs, as before. The watch program is left with its last
     * program and its timer handle, which it clears and replaces on the next change; its next update builds afresh
     * from the files' versions, which every change still bumps. The update is told from the failed-lookup
     * invalidation by its function's name in TypeScript 5.0 (`updateProgramWithWatchStatus`); under another name no
     * update is swapped directly and all go through TypeScript (the direct-swap test would then fail).
     */
    const swapDirectly = (due: Queued[]): boolean => {
      if (!directSwap || rootsChanged || lastRequest === undefined || due.length !== 1 || due[0]!.callback.name !== "updateProgramWithWatchStatus") return false;
      const { rootNames, options, compilerHost } = lastRequest;
      const view = swapper!.trySwap(rootNames, options, compilerHost);
      if (view === undefined) return false;
      host.afterProgramCreate?.(swappedBuilder(view, compilerHost));
      swapper!.noteDirectSwap();
      return true;
    };
    const fire = (): void => {
      tslabTimer = undefined;
      firing = true;
      try {
        // What a callback queues (the failed-lookup invalidation queues a program update) runs in the same go, as
        // tslab is about to use the program: tslab's timer cannot be set again until this callback has returned.
        for (let round = 0; round < 10 && queue.size > 0; round++) {
          const due = [...queue];
          queue.clear();
          if (round === 0 && swapDirectly(due)) continue;
          for (const item of due) item.callback(...item.args);
        }
      } finally {
        firing = false;
      }
    };
    const arm = (): void => {
      if (tslabTimer === undefined && !firing) tslabTimer = setTimeout.call(host, fire, 0);
    };
    host.setTimeout = (callback, _ms, ...args) => {
      const item: Queued = { callback, args };
      queue.add(item);
      arm();
      return item;
    };
    host.clearTimeout = (handle) => {
      queue.delete(handle as Queued);
      if (queue.size === 0 && tslabTimer !== undefined) {
        clearTimeout.call(host, tslabTimer);
        tslabTimer = undefined;
      }
    };
    const lastText = new Map<string, string | undefined>();
    host.watchFile = (path, callback, interval, options) => {
      const name = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
      if (!TSLAB_MEMORY_FILES.has(name)) {
        if (!swapper) return watchFile.call(host, path, callback, interval, options);
        return watchFile.call(host, path, (fileName, kind, modified) => {
          swapper.invalidate();
          callback(fileName, kind, modified);
        }, interval, options);
      }
      return watchFile.call(host, path, (fileName, kind, modified) => {
        if (kind === ts.FileWatcherEventKind.Changed) {
          const text = host.readFile(fileName);
          if (lastText.has(fileName) && lastText.get(fileName) === text) {
            // tslab fires its timer right after announcing the change: give it one (running whatever is queued).
            arm();
            return;
          }
          lastText.set(fileName, text);
        }
        callback(fileName, kind, modified);
      }, interval, options);
    };
    return host;
  };
  Object.defineProperty(ts, "createWatchCompilerHost", { value: patched, enumerable: true, configurable: true });
  Object.defineProperty(ts, "createWatchProgram", { value: patchedProgram, enumerable: true, configurable: true });
  return () => {
    Object.defineProperty(ts, "createWatchCompilerHost", descriptor);
    Object.defineProperty(ts, "createWatchProgram", programDescriptor);
  };
}
