// The TypeScript side of the engine: tslab's converter (type-checks a cell against the declarations of all
// earlier cells, emits CommonJS) wrapped so that it resolves modules from the notebook's directory, knows the
// kernel's globals, and maps the `labnote` specifier to this package wherever the notebook lives.
// tslab hard-codes its compiler options, so we steer it through `ts.sys` (the file system it reads through).
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve, sep } from "node:path";
import type { CompletionInfo, Converter, ConvertResult, Diagnostic } from "tslab/dist/converter.js";
import type * as TS from "typescript";
import { bindMutableLocals, prepareCellSource } from "./cell-rewrite.js";
import { createDeclarationPrintMemo, type DeclarationPrintMemo, type DeclarationPrintStats, type DeclarationPrintTypeScript } from "./decl-print.js";
import { defaultCodeCacheDir, requireWithCodeCache, type CachedModule } from "./code-cache.js";
import { PACKAGE_ROOT } from "./package-root.js";
import { installTranspileCache } from "./transpile-cache.js";
import { deferTypeRoots, type TypeRootsTypeScript } from "./type-roots.js";
import type { CellSwapper, CellSwapStats } from "./cell-swap.js";
import { skipUnchangedRebuilds, type ProgramState, type WatchHostFactory } from "./watch-host.js";

export type { ConvertResult, Diagnostic };

interface TypeScriptSys {
  getCurrentDirectory(): string;
  readFile(path: string, encoding?: string): string | undefined;
  fileExists(path: string): boolean;
  directoryExists(path: string): boolean;
  realpath?(path: string): string;
  newLine: string;
}

export interface QuickInfo {
  displayParts?: { text: string }[];
  documentation?: { text: string }[];
  tags?: { name: string; text?: { text: string }[] }[];
  textSpan?: { start: number; length: number };
}

interface TslabConverterModule {
  createConverter(options?: { isJS?: boolean; isBrowser?: boolean }): Converter;
  isCompleteCode(content: string): { completed: boolean; indent?: string };
}

export interface CellCompiler {
  /**
   * Type-checks and emits `src` against the declarations `prevDecl` left by earlier cells. The output calls
   * `<handoff>.bindLocal(exports, name, get, set)` after each top-level `let`/`var` (see cell-rewrite.ts).
   */
  convert(prevDecl: string, src: string, handoff: string): ConvertResult;
  complete(prevDecl: string, src: string, position: number): CompletionInfo;
  inspect(prevDecl: string, src: string, position: number): QuickInfo | undefined;
  /** Ambient declarations of temporary globals (e.g. `run` in %%track); replaces the previous set. */
  setExtraGlobals(types: Record<string, string>): void;
  /** false until includeTypeRoots() for a compiler made with `typeRoots: false`. */
  readonly hasTypeRoots: boolean;
  /** Adds the @types packages to the program; the next convert or complete rebuilds it (~1 s the first time). */
  includeTypeRoots(): void;
  /** Declares the `tf` global from now on (the first cell that mentions `tf` calls it). */
  declareTensorFlow(): void;
  /**
   * Parses the declarations a next cell will be checked against (`prevDecl` as left by the last cell) now, while the
   * kernel waits for it, instead of in that cell's swap (cell-swap.ts). Call it between requests; cheap when there is
   * nothing new to parse.
   */
  prepareDeclarations(prevDecl: string): void;
  /** Conversions answered from the last one: same text, declarations and program (see `convert` below). */
  readonly reusedConversions: number;
  /** How many programs were built in full and how many cells were checked in a view of the last one (cell-swap.ts). */
  readonly swapStats: Readonly<CellSwapStats>;
  /** The declarations printed for the next cell statement by statement from a memo (decl-print.ts); undefined when off. */
  readonly declarationPrintStats: Readonly<DeclarationPrintStats> | undefined;
  close(): void;
}

const tslabRequire = createRequire(join(PACKAGE_ROOT, "node_modules", "tslab", "dist", "main.js"));

const TYPESCRIPT = "@tslab/typescript-for-tslab";
let typeScriptLoad: CachedModule | undefined;

/** The TypeScript module tslab uses, compiled with the V8 code cache of earlier kernels (code-cache.ts). */
function loadTypeScript(): CachedModule {
  typeScriptLoad ??= requireWithCodeCache(tslabRequire, TYPESCRIPT, defaultCodeCacheDir());
  return typeScriptLoad;
}

/**
 * Stores the bytecode of the TypeScript functions compiled so far for the next kernel (when the cache was missing or
 * out of date). Call once the compiler has converted and completed, so the cache holds what a first cell needs.
 */
export function saveTypeScriptCodeCache(): boolean {
  return typeScriptLoad?.save() ?? false;
}

/** tslab's converter module, loaded after its ESM→CommonJS step got its cache (transpile-cache.ts). */
function loadConverterModule(): TslabConverterModule {
  loadTypeScript();
  installTranspileCache(tslabRequire, TYPESCRIPT, "./converter.js");
  return tslabRequire("./converter.js") as TslabConverterModule;
}

/**
 * Loads TypeScript (through the code cache) and tslab's converter module without building anything: the kernel
 * calls it while it waits for its first request, so that the compiler's build after the first reply starts from there.
 */
export function preloadTypeScript(): void {
  loadConverterModule();
}

/** The module name tslab gives the in-memory globals declaration file (must match /^\w+$/). */
const GLOBALS_MODULE = "__labnote_globals__";

function labnoteTypesEntry(): string {
  return existsSync(join(PACKAGE_ROOT, "dist", "index.d.ts")) ? "./dist/index.d.ts" : "./index.ts";
}

/** A module of this package for type imports: built .d.ts when present, else the sources (tests run from source). */
function typesSpecifier(module: string): string {
  const built = existsSync(join(PACKAGE_ROOT, "dist", `${module}.d.ts`));
  return JSON.stringify(built ? `labnote/dist/${module}.js` : `labnote/${module}.js`);
}

/**
 * The ambient declarations of the kernel's globals. `tf`'s type pulls TensorFlow.js's hundreds of .d.ts files
 * into every rebuild, so it is declared only once a cell mentions `tf` (`withTensorFlow`).
 */
export function globalsDeclaration(extra: Record<string, string>, withTensorFlow = true): string {
  const lines = [
    "declare global {",
    `  const display: import(${typesSpecifier("kernel/engine/notebook-types")}).NotebookDisplay;`,
    "  function clearOutput(wait?: boolean): void;",
    "  function input(prompt?: string, options?: { password?: boolean }): Promise<string>;",
  ];
  if (withTensorFlow) lines.push(`  const tf: import(${typesSpecifier("kernel/engine/tensorflow-types")}).TensorFlow;`);
  for (const [name, type] of Object.entries(extra)) lines.push(`  var ${name}: ${type};`);
  lines.push("}");
  return lines.join("\n");
}

/** The `types` entry TypeScript's Node10 resolution should use for a package that only declares `exports`. */
function typesFromExports(pkg: Record<string, unknown>, packageDir: string): string | undefined {
  const exportsField = pkg.exports;
  if (exportsField === undefined || pkg.types !== undefined || pkg.typings !== undefined) return undefined;
  let entry: unknown = exportsField;
  if (entry !== null && typeof entry === "object" && !Array.isArray(entry) && "." in entry) entry = (entry as Record<string, unknown>)["."];
  const pick = (value: unknown, wantTypes: boolean): string | undefined => {
    if (typeof value === "string") return value;
    if (Array.isArray(value)) return value.map((v) => pick(v, wantTypes)).find((v) => v !== undefined);
    if (value === null || typeof value !== "object") return undefined;
    const conditions = value as Record<string, unknown>;
    for (const key of wantTypes ? ["types", "import", "node", "default", "require"] : ["import", "node", "default", "require"]) {
      if (key in conditions) {
        const found = pick(conditions[key], wantTypes);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  };
  const target = pick(entry, true);
  if (target === undefined) return undefined;
  if (/\.d\.[cm]?ts$/.test(target)) return target;
  const declaration = target.replace(/\.[cm]?js$/, ".d.ts");
  return existsSync(join(packageDir, declaration)) ? declaration : target;
}

/**
 * Patches `ts.sys` (shared by every converter in the process) so that:
 * - `<dir>/node_modules/labnote/**` reads this package (types of `import … from "labnote"` from any directory);
 * - packages that only declare `exports` (ESM-only) get a `types`/`main` TypeScript's resolver understands.
 */
function patchSystem(sys: TypeScriptSys): void {
  const marker = sys as TypeScriptSys & { __labnotePatched?: boolean };
  if (marker.__labnotePatched) return;
  marker.__labnotePatched = true;
  const labnoteSegment = `${sep}node_modules${sep}labnote`;
  const forward = (path: string): string => {
    const normalized = resolve(path);
    const at = normalized.lastIndexOf(labnoteSegment);
    if (at < 0) return path;
    const rest = normalized.slice(at + labnoteSegment.length);
    if (rest !== "" && !rest.startsWith(sep)) return path;
    // A real node_modules/labnote (an installed copy) wins over the forward.
    if (existsSync(normalized.slice(0, at + labnoteSegment.length))) return path;
    return PACKAGE_ROOT + rest;
  };
  const readFile = sys.readFile.bind(sys);
  const fileExists = sys.fileExists.bind(sys);
  const directoryExists = sys.directoryExists.bind(sys);
  sys.readFile = (path, encoding) => {
    const target = forward(path);
    const text = readFile(target, encoding);
    if (text === undefined || !target.endsWith(`${sep}package.json`) || !target.includes(`${sep}node_modules${sep}`)) {
      if (target !== path && target === join(PACKAGE_ROOT, "package.json") && text !== undefined) {
        const pkg = JSON.parse(text) as Record<string, unknown>;
        return JSON.stringify({ ...pkg, types: labnoteTypesEntry() });
      }
      return text;
    }
    try {
      const pkg = JSON.parse(text) as Record<string, unknown>;
      const types = typesFromExports(pkg, dirname(target));
      if (types === undefined) return text;
      return JSON.stringify({ ...pkg, types, main: pkg.main ?? types });
    } catch {
      return text;
    }
  };
  sys.fileExists = (path) => fileExists(forward(path));
  sys.directoryExists = (path) => directoryExists(forward(path));
}


export interface CellCompilerOptions {
  /**
   * false: the program starts with the ECMAScript library, the kernel's globals and the cells only, without the @types
   * packages (Node's types are 2 MB of declarations), until includeTypeRoots() (type-roots.ts).
   */
  typeRoots?: boolean;
  /**
   * false: every changed cell gets a program and type checker of its own, as tslab builds them. Default: fresh cells
   * are checked in a view of the last program (cell-swap.ts), unless LABNOTE_CELL_SWAP=off.
   */
  swapCells?: boolean;
  /**
   * false: a cell's CommonJS comes from its ES module text through a second TypeScript pass, as tslab converts it.
   * Default: a cell that imports nothing is emitted as CommonJS in one pass (watch-host.ts), unless
   * LABNOTE_ONE_STEP_EMIT=off.
   */
  oneStepEmit?: boolean;
  /**
   * false: the declarations handed to the next cell are printed whole after every cell, as tslab prints them.
   * Default: statements printed after an earlier cell are taken from a memo (decl-print.ts), unless
   * LABNOTE_DECL_PRINT_MEMO=off.
   */
  declarationPrintMemo?: boolean;
  /**
   * false: every program update goes through TypeScript's watch program. Default: updates for the cell's in-memory
   * files are swapped directly (watch-host.ts), unless LABNOTE_DIRECT_SWAP=off.
   */
  directSwap?: boolean;
}

/** Creates the compiler rooted at the notebook directory. Synchronous and slow (~0.5–1 s): call it off the hot path. */
export function createCellCompiler(projectDir: string, options: CellCompilerOptions = {}): CellCompiler {
  const converterModule = loadConverterModule();
  const ts = tslabRequire(TYPESCRIPT) as { sys: TypeScriptSys };
  const parser = ts as unknown as typeof TS;
  patchSystem(ts.sys);
  const originalCwd = ts.sys.getCurrentDirectory;
  ts.sys.getCurrentDirectory = () => projectDir;
  let converter: Converter;
  // tslab's own view of TypeScript: the forwarding copy installed by the transpile cache, whose properties can be redefined.
  const tslabTypeScript = tslabRequire(TYPESCRIPT) as WatchHostFactory & TypeRootsTypeScript;
  const deferred = options.typeRoots === false ? deferTypeRoots(tslabTypeScript, projectDir) : undefined;
  let swapper: CellSwapper | undefined;
  const swapCells = options.swapCells ?? process.env.LABNOTE_CELL_SWAP !== "off";
  const oneStepEmit = options.oneStepEmit ?? process.env.LABNOTE_ONE_STEP_EMIT !== "off";
  const directSwap = options.directSwap ?? process.env.LABNOTE_DIRECT_SWAP !== "off";
  const programState: ProgramState = { builds: 0, pending: () => true };
  const restoreHostFactory = skipUnchangedRebuilds(tslabTypeScript, {
    deferred,
    swapCells,
    oneStepEmit,
    programState,
    directSwap,
    onSwapper: (created) => (swapper = created),
  });
  const restoreWatchProgram = deferred?.captureWatchProgram();
  try {
    converter = converterModule.createConverter({ isJS: false, isBrowser: false });
  } finally {
    restoreWatchProgram?.();
    restoreHostFactory();
    ts.sys.getCurrentDirectory = originalCwd;
  }
  const printMemo: DeclarationPrintMemo | undefined =
    (options.declarationPrintMemo ?? process.env.LABNOTE_DECL_PRINT_MEMO !== "off") ? createDeclarationPrintMemo(tslabTypeScript as unknown as DeclarationPrintTypeScript) : undefined;
  let extraGlobals: Record<string, string> = {};
  let withTensorFlow = false;
  let globalsText = "";
  const refreshGlobals = (): void => {
    const text = globalsDeclaration(extraGlobals, withTensorFlow);
    if (text === globalsText) return;
    globalsText = text;
    const problems = converter.addModule(GLOBALS_MODULE, text);
    if (problems.length > 0) {
      process.stderr.write(`labnote: the kernel's global declarations do not type-check: ${problems.map((d) => d.messageText).join("; ")}\n`);
    }
  };
  refreshGlobals();
  /**
   * The last conversion, and the program it was made with (the count of programs built when it was done). A cell run
   * again with the same text and declarations (`1 + 1` twice, %timeit) while no program was built since and no update
   * is waiting (no watched file changed, no root file, global or module added) converts to what it converted to: tslab
   * would re-check and re-emit it through the very same program. Conversions that emitted side outputs (local modules
   * a cell imports; tslab emits them once) are not kept.
   */
  let last: { prevDecl: string; src: string; handoff: string; builds: number; result: ConvertResult } | undefined;
  let reusedConversions = 0;
  return {
    convert(prevDecl, src, handoff) {
      if (last !== undefined && last.src === src && last.prevDecl === prevDecl && last.handoff === handoff && last.builds === programState.builds && !programState.pending()) {
        reusedConversions++;
        return { ...last.result };
      }
      last = undefined;
      const prepared = prepareCellSource(parser, src);
      const converted = printMemo === undefined ? converter.convert(prevDecl, prepared.source) : printMemo.during(() => converter.convert(prevDecl, prepared.source));
      let result: ConvertResult;
      if (converted.diagnostics.length > 0) result = { ...converted, diagnostics: converted.diagnostics.map(prepared.mapDiagnostic) };
      else result = converted.output === undefined ? converted : { ...converted, output: bindMutableLocals(parser, converted.output, handoff) };
      if (result.sideOutputs === undefined) last = { prevDecl, src, handoff, builds: programState.builds, result };
      return { ...result };
    },
    complete(prevDecl, src, position) {
      return converter.complete(prevDecl, src, position);
    },
    prepareDeclarations(prevDecl) {
      // The text tslab gives its declarations file: its `export {};` line, then the declarations (converter.js).
      swapper?.prepareDeclarations(`export {};${ts.sys.newLine}${prevDecl}`);
    },
    inspect(prevDecl, src, position) {
      // The quick program read TypeScript's lib files without their documentation (type-roots.ts): read it now, in a
      // program built in full (a swapped view would keep the last program's files).
      if (deferred?.restoreLibDocs()) swapper?.invalidate();
      return (converter.inspect(prevDecl, src, position) as QuickInfo | undefined) ?? undefined;
    },
    setExtraGlobals(types) {
      extraGlobals = types;
      refreshGlobals();
    },
    get hasTypeRoots() {
      return deferred === undefined || deferred.included;
    },
    includeTypeRoots() {
      deferred?.include();
    },
    declareTensorFlow() {
      if (withTensorFlow) return;
      withTensorFlow = true;
      refreshGlobals();
    },
    get reusedConversions() {
      return reusedConversions;
    },
    get swapStats() {
      return swapper?.stats ?? { swaps: 0, fullBuilds: 0, preparedDeclarations: 0, directSwaps: 0 };
    },
    get declarationPrintStats() {
      return printMemo?.stats;
    },
    close() {
      converter.close();
    },
  };
}

interface ParseOnlyTypeScript {
  createSourceFile(name: string, text: string, target: number, setParents?: boolean, kind?: number): { parseDiagnostics?: { start: number; length: number; messageText: unknown }[] };
  ScriptTarget: { Latest: number };
  ScriptKind: { TS: number };
}

export type Completeness = { status: "complete" | "incomplete" | "invalid"; indent?: string };

/**
 * is_complete for a console: incomplete while brackets are open or the code ends in an operator (the parser
 * expects more at the very end); invalid when the syntax is broken before the end; complete otherwise.
 */
export function isCompleteSource(src: string): Completeness {
  const converterModule = loadConverterModule();
  const tslabAnswer = converterModule.isCompleteCode(src);
  if (!tslabAnswer.completed) return { status: "incomplete", indent: tslabAnswer.indent ?? "" };
  if (/(^|\n)\s*\n\s*$/.test(src)) return { status: "complete" };
  const ts = tslabRequire(TYPESCRIPT) as ParseOnlyTypeScript;
  const file = ts.createSourceFile("cell.ts", src, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const problems = file.parseDiagnostics ?? [];
  if (problems.length === 0) return { status: "complete" };
  const trimmedEnd = src.trimEnd().length;
  // Errors only at the very end mean "keep typing"; anything earlier cannot be fixed by typing more.
  return problems.every((d) => d.start >= trimmedEnd) ? { status: "incomplete", indent: "" } : { status: "invalid" };
}

/** Renders TypeScript quick info (hover) as plain text, like tslab's inspect. */
export function quickInfoText(info: QuickInfo): string {
  const parts = (info.displayParts ?? []).map((p) => p.text).join("");
  const docs = (info.documentation ?? []).map((d) => d.text).join("\n");
  const tags = (info.tags ?? []).map((t) => `@${t.name} ${(t.text ?? []).map((x) => x.text).join("")}`.trim());
  return [parts, docs, ...tags].filter((s) => s !== "").join("\n\n");
}

export function readPackageJson(dir: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
