// The @types packages (Node's types alone are 2 MB of declarations, four fifths of what the compiler parses at
// start-up) can join the program after it was built. A compiler built without them type-checks a first cell against
// the ECMAScript library, the kernel's globals and the cell itself in a fraction of the time; `include` then adds the
// files the automatic type inclusion would have added, as extra root files of the same watch program, so the lib
// files already parsed are reused and the program ends up holding what it holds when built with them from the start.
//
// TypeScript's own lib files (lib.es5.d.ts …) are read with their JSDoc comments blanked out (same length, same line
// breaks, so every position stays what it was), except those with an @deprecated tag: TypeScript 5.0 parses the JSDoc
// of every .d.ts file, a fifth of the quick build's time, and in a .ts program JSDoc decides no type and no error; only
// a hover's documentation text needs it (deprecation, which orders completions, is kept). Those lib files get no
// file-system watchers (TypeScript's lib does not change under a running kernel). The first hover (`restoreLibDocs`)
// announces them as changed, so the program reads and parses them again, JSDoc and all (once, ~0.2 s), and hovers show
// their documentation as before. LABNOTE_QUICK_LIB=off reads them as they are.
import { dirname, join } from "node:path";

interface WatchProgramLike {
  updateRootFileNames(fileNames: string[]): void;
}

type FileWatchCallback = (fileName: string, kind: number, modified?: Date) => void;

/** The part of the watch compiler host tslab hands to createWatchProgram that the quick lib reads change. */
interface WatchHostLike {
  readFile(path: string, encoding?: string): string | undefined;
  watchFile(path: string, callback: FileWatchCallback, ...rest: unknown[]): { close(): void };
}

const JSDOC_COMMENT = /\/\*\*(?!\/)[\s\S]*?\*\//g;
const LINE_TEXT = /[^\r\n]+/g;
const spaces = (run: string): string => " ".repeat(run.length);

/**
 * `text` with every JSDoc comment (`/** … *\/`) but those tagged @deprecated replaced by spaces, its line breaks kept:
 * positions do not move.
 */
export function blankJsDoc(text: string): string {
  return text.replace(JSDOC_COMMENT, (comment) => (comment.includes("@deprecated") ? comment : comment.replace(LINE_TEXT, spaces)));
}

export interface TypeRootsTypeScript {
  createWatchProgram(host: unknown): WatchProgramLike;
  getAutomaticTypeDirectiveNames(options: object, host: object): string[];
  getDefaultLibFilePath(options: object): string;
  FileWatcherEventKind: { Changed: number };
  resolveTypeReferenceDirective(
    name: string,
    containingFile: string | undefined,
    options: object,
    host: object,
  ): { resolvedTypeReferenceDirective?: { resolvedFileName?: string } };
  sys: object;
}

export interface DeferredTypeRoots {
  /** The watch host's compiler options without automatic @types inclusion; the originals are kept for `include`. */
  adjustOptions(options: Record<string, unknown>, rootFiles: string[]): Record<string, unknown>;
  /** While converter creation runs: catches the watch program tslab creates. Returns the function that undoes it. */
  captureWatchProgram(): () => void;
  readonly included: boolean;
  /** Adds the @types entry files as root files; the program is rebuilt (slow: they get parsed) on its next use. */
  include(): void;
  /**
   * TypeScript's lib files are read again with their JSDoc on the program's next build (before a hover). True when
   * some were read blanked: the next program must then be built in full.
   */
  restoreLibDocs(): boolean;
}

export interface DeferTypeRootsOptions {
  /** Blank the JSDoc of TypeScript's lib files until `restoreLibDocs` (default: on unless LABNOTE_QUICK_LIB=off). */
  quickLib?: boolean;
}

export function deferTypeRoots(ts: TypeRootsTypeScript, projectDir: string, deferOptions: DeferTypeRootsOptions = {}): DeferredTypeRoots {
  let originalOptions: Record<string, unknown> | undefined;
  let watch: WatchProgramLike | undefined;
  let tslabRoots: string[] = [];
  let extraRoots: string[] = [];
  let included = false;
  let libDocsRestored = false;
  const quickLib = deferOptions.quickLib ?? process.env.LABNOTE_QUICK_LIB !== "off";
  /** The lib files read blanked, with the watch program's callback that makes it read them again. */
  const blankedLibFiles = new Map<string, FileWatchCallback | undefined>();
  let libDirectory: string | undefined;
  const isLibFile = (path: string): boolean => {
    if (!originalOptions) return false;
    libDirectory ??= dirname(ts.getDefaultLibFilePath(originalOptions)).replace(/\\/g, "/");
    const normalized = path.replace(/\\/g, "/");
    const slash = normalized.lastIndexOf("/");
    return normalized.slice(0, slash) === libDirectory && /^lib\.[\w.-]*d\.ts$/.test(normalized.slice(slash + 1));
  };
  const steerLibReads = (host: WatchHostLike): void => {
    const readFile = host.readFile.bind(host);
    const watchFile = host.watchFile.bind(host);
    host.readFile = (path, encoding) => {
      const text = readFile(path, encoding);
      if (libDocsRestored || text === undefined || !isLibFile(path)) return text;
      if (!blankedLibFiles.has(path)) blankedLibFiles.set(path, undefined);
      return blankJsDoc(text);
    };
    host.watchFile = (path, callback, ...rest) => {
      if (!blankedLibFiles.has(path)) return watchFile(path, callback, ...rest);
      blankedLibFiles.set(path, callback);
      return { close: () => blankedLibFiles.get(path) === callback && blankedLibFiles.set(path, undefined) };
    };
  };
  return {
    adjustOptions(options, rootFiles) {
      originalOptions = options;
      tslabRoots = rootFiles;
      return { ...options, types: [] };
    },
    captureWatchProgram() {
      const descriptor = Object.getOwnPropertyDescriptor(ts, "createWatchProgram");
      if (!descriptor?.configurable) return () => undefined;
      const original = ts.createWatchProgram;
      const patched = (host: unknown): WatchProgramLike => {
        if (quickLib) steerLibReads(host as WatchHostLike);
        const created = original.call(ts, host);
        const update = created.updateRootFileNames.bind(created);
        // tslab passes its own root list on every addModule: the @types files stay in it once included.
        created.updateRootFileNames = (fileNames) => {
          tslabRoots = fileNames;
          update([...fileNames, ...extraRoots]);
        };
        watch = created;
        return created;
      };
      Object.defineProperty(ts, "createWatchProgram", { value: patched, enumerable: true, configurable: true });
      return () => Object.defineProperty(ts, "createWatchProgram", descriptor);
    },
    get included() {
      return included;
    },
    include() {
      if (included) return;
      included = true;
      if (!watch || !originalOptions) return;
      const names = ts.getAutomaticTypeDirectiveNames(originalOptions, ts.sys);
      // TypeScript resolves automatic type names as if from a file in the project directory.
      const containingFile = join(projectDir, "__inferred type names__.ts");
      extraRoots = names
        .map((name) => ts.resolveTypeReferenceDirective(name, containingFile, originalOptions!, ts.sys).resolvedTypeReferenceDirective?.resolvedFileName)
        .filter((file): file is string => file !== undefined);
      if (extraRoots.length > 0) watch.updateRootFileNames(tslabRoots);
    },
    restoreLibDocs() {
      if (libDocsRestored) return false;
      libDocsRestored = true;
      // The watch program's own change callbacks: each file's version is reset and the next build reads it again.
      for (const [path, changed] of blankedLibFiles) changed?.(path, ts.FileWatcherEventKind.Changed, new Date());
      return blankedLibFiles.size > 0;
    },
  };
}
