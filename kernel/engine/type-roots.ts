// The @types packages (Node's types alone are 2 MB of declarations, four fifths of what the compiler parses at
// start-up) can join the program after it was built. A compiler built without them type-checks a first cell against
// the ECMAScript library, the kernel's globals and the cell itself in a fraction of the time; `include` then adds the
// files the automatic type inclusion would have added, as extra root files of the same watch program, so the lib
// files already parsed are reused and the program ends up holding what it holds when built with them from the start.
import { join } from "node:path";

interface WatchProgramLike {
  updateRootFileNames(fileNames: string[]): void;
}

export interface TypeRootsTypeScript {
  createWatchProgram(host: unknown): WatchProgramLike;
  getAutomaticTypeDirectiveNames(options: object, host: object): string[];
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
}

export function deferTypeRoots(ts: TypeRootsTypeScript, projectDir: string): DeferredTypeRoots {
  let originalOptions: Record<string, unknown> | undefined;
  let watch: WatchProgramLike | undefined;
  let tslabRoots: string[] = [];
  let extraRoots: string[] = [];
  let included = false;
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
  };
}
