// tslab converts every emitted cell from ESM to CommonJS with `ts.transpileModule`, which builds a whole
// throw-away program and type checker each time (~1–3 ms of a fresh cell). Two remedies here: the conversion is a
// pure function of its text and options, so re-run cells (and %timeit, %tune trials of one cell) reuse the answer;
// and new text is converted through one program kept for the purpose (swappingTranspile; LABNOTE_CELL_SWAP=off
// turns it off). tslab reads `ts.transpileModule` through its own import of the module, whose properties cannot be
// redefined, so the module's cache entry is replaced by a forwarding copy before tslab's converter first loads it.
type Transpile = (input: string, options: TranspileOptions) => { outputText: string };
interface TranspileOptions {
  fileName?: string;
  compilerOptions?: object;
  transformers?: { before?: ((context: { getEmitHost(): { getCompilerOptions(): object } }) => (file: TranspileSourceFile) => TranspileSourceFile)[] };
  moduleName?: string;
  renamedDependencies?: unknown;
  reportDiagnostics?: boolean;
}

interface TranspileSourceFile {
  fileName: string;
  path: string;
  resolvedPath: string;
  originalFileName: string;
  text: string;
  languageVersion: number;
  impliedNodeFormat?: number;
}

interface TranspileProgram {
  emit(file: TranspileSourceFile, write: (name: string, text: string) => void): unknown;
  getTypeChecker(): { getDiagnostics(file: TranspileSourceFile): readonly unknown[] };
}

export interface TranspileTypeScript {
  transpileModule: Transpile;
  createSourceFile(fileName: string, text: string, options: object, setParentNodes?: boolean): TranspileSourceFile;
  createProgram(rootNames: string[], options: object, host: object): TranspileProgram & { getSourceFile(name: string): TranspileSourceFile | undefined };
  bindSourceFile(file: TranspileSourceFile, options: object): void;
  getSetExternalModuleIndicator(options: object): (file: TranspileSourceFile) => void;
}

/** Conversions one transpile program serves before it is built again (its checker keeps a little of each). */
const MAX_SWAPPED_TRANSPILES = 200;

/** Enough for a notebook's cells re-run many times; old entries go first. */
const MAX_ENTRIES = 512;

export interface TranspileCacheStats {
  hits: number;
  misses: number;
  /** Conversions done through the reused program of swappingTranspile. */
  swapped: number;
  /** Conversions answered with the CommonJS the cell's own emit produced (handOverCommonJS). */
  handedOver: number;
}

const stats: TranspileCacheStats = { hits: 0, misses: 0, swapped: 0, handedOver: 0 };

/**
 * CommonJS a swapped cell's own emit produced in one pass (watch-host.ts appends TypeScript's CommonJS transform to
 * tslab's transformers there): tslab hands that output to its ESM→CommonJS step next, which then returns it as it is
 * instead of parsing, binding and emitting it a second time. One text, taken by the next conversion of exactly it.
 */
let handedOver: string | undefined;

export function handOverCommonJS(text: string | undefined): void {
  handedOver = text;
}

export function transpileCacheStats(): Readonly<TranspileCacheStats> {
  return stats;
}

/** A transpileModule that answers repeated conversions from a bounded cache (the result object is copied). */
export function memoizeTranspile(transpile: Transpile): Transpile {
  const cache = new Map<string, string>();
  return (input, options) => {
    const key = `${options.fileName ?? ""}\u0000${JSON.stringify(options.compilerOptions ?? {})}\u0000${input}`;
    const cached = cache.get(key);
    if (cached !== undefined) {
      stats.hits++;
      // Most recently used last, so the oldest entry is the first one a full cache drops.
      cache.delete(key);
      cache.set(key, cached);
      return { outputText: cached };
    }
    stats.misses++;
    const result = transpile(input, options);
    cache.set(key, result.outputText);
    if (cache.size > MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    return result;
  };
}

/**
 * transpileModule builds a program and type checker for every text it converts (~1–3 ms of a fresh cell, mostly the
 * checker's globals). This one builds them once, from a conversion transpileModule itself does (its final compiler
 * options are read off the emit), and converts each later text of the same file name and options by parsing and
 * binding it and emitting it through that program — the swap of cell-swap.ts, for the ESM→CommonJS step. Anything
 * else (other options, transformers, module names, diagnostics asked for) goes to transpileModule.
 * test/unit/engine/transpile-cache.test.ts compares the two on many texts.
 */
export function swappingTranspile(ts: TranspileTypeScript): Transpile {
  const transpile = ts.transpileModule.bind(ts);
  let key: string | undefined;
  let state: { program: TranspileProgram; options: object; template: TranspileSourceFile; uses: number } | undefined;
  let serial = 0;
  const build = (input: string, options: TranspileOptions): { outputText: string } => {
    let captured: { options: object; file: TranspileSourceFile } | undefined;
    const capture = (context: { getEmitHost(): { getCompilerOptions(): object } }) => (file: TranspileSourceFile) => {
      captured = { options: context.getEmitHost().getCompilerOptions(), file };
      return file;
    };
    const result = transpile(input, { ...options, transformers: { before: [capture] } });
    if (captured === undefined) return result;
    const { options: compilerOptions, file: template } = captured;
    const name = template.fileName;
    const host = {
      getSourceFile: (fileName: string) => (fileName === name ? template : undefined),
      writeFile: () => undefined,
      getDefaultLibFileName: () => "lib.d.ts",
      useCaseSensitiveFileNames: () => false,
      getCanonicalFileName: (fileName: string) => fileName,
      getCurrentDirectory: () => "",
      getNewLine: () => "\n",
      fileExists: (fileName: string) => fileName === name,
      readFile: () => "",
      directoryExists: () => true,
      getDirectories: () => [],
    };
    state = { program: ts.createProgram([name], compilerOptions, host), options: compilerOptions, template, uses: 0 };
    return result;
  };
  return (input, options) => {
    if (options.transformers !== undefined || options.moduleName !== undefined || options.renamedDependencies !== undefined || options.reportDiagnostics) {
      return transpile(input, options);
    }
    const optionsKey = `${options.fileName ?? ""}\u0000${JSON.stringify(options.compilerOptions ?? {})}`;
    if (state === undefined || key !== optionsKey || state.uses >= MAX_SWAPPED_TRANSPILES) {
      key = optionsKey;
      state = undefined;
      return build(input, options);
    }
    const { program, options: compilerOptions, template } = state;
    state.uses++;
    const id = ++serial;
    const createOptions = { languageVersion: template.languageVersion, impliedNodeFormat: template.impliedNodeFormat, setExternalModuleIndicator: ts.getSetExternalModuleIndicator(compilerOptions) };
    // The checker's diagnostics for this file name would pile up cell after cell: an empty file of the name, checked,
    // hands back the list it keeps them in (cell-swap.ts does the same).
    const eraser = ts.createSourceFile(template.fileName, "", createOptions);
    eraser.path = eraser.resolvedPath = `${template.path}\u0000labnote-eraser-${id}`;
    ts.bindSourceFile(eraser, compilerOptions);
    (program.getTypeChecker().getDiagnostics(eraser) as unknown[]).length = 0;
    const file = ts.createSourceFile(template.fileName, input, createOptions);
    file.path = file.resolvedPath = `${template.path}\u0000labnote-transpile-${id}`;
    file.originalFileName = template.originalFileName;
    ts.bindSourceFile(file, compilerOptions);
    let outputText: string | undefined;
    program.emit(file, (name, text) => {
      if (!name.endsWith(".map")) outputText = text;
    });
    if (outputText === undefined) return transpile(input, options);
    stats.swapped++;
    return { outputText };
  };
}

/**
 * Makes `require(tsSpecifier)` (as seen by `converterPath`'s module) return a copy of TypeScript whose
 * transpileModule is memoised. Must run before the converter is first required; afterwards it does nothing.
 */
export function installTranspileCache(requireFrom: NodeJS.Require, tsSpecifier: string, converterPath: string): void {
  const converterFile = requireFrom.resolve(converterPath);
  if (requireFrom.cache[converterFile] !== undefined) return;
  const tsFile = requireFrom.resolve(tsSpecifier);
  const ts = requireFrom(tsSpecifier) as Record<string, unknown> & TranspileTypeScript;
  const entry = requireFrom.cache[tsFile];
  if (entry === undefined || (entry.exports as { __labnoteMemo?: boolean }).__labnoteMemo) return;
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(ts)) {
    Object.defineProperty(copy, key, { get: () => ts[key], enumerable: true, configurable: true });
  }
  const memoized = memoizeTranspile(process.env.LABNOTE_CELL_SWAP === "off" ? ts.transpileModule.bind(ts) : swappingTranspile(ts));
  const transpile: Transpile = (input, options) => {
    if (handedOver === undefined || input !== handedOver) return memoized(input, options);
    handedOver = undefined;
    stats.handedOver++;
    return { outputText: input };
  };
  Object.defineProperty(copy, "transpileModule", { value: transpile, enumerable: true, configurable: true });
  Object.defineProperty(copy, "__labnoteMemo", { value: true, enumerable: false });
  entry.exports = copy;
}
