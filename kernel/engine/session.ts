// The TypeScript session: the notebook's scope across cells. A cell is type-checked by tslab's converter against
// the declarations earlier cells left (`prevDecl`), its imports are loaded (modules.ts), then the emitted
// CommonJS runs in this realm with vm (breakOnSigint) and its top-level declarations land on `exports`, the
// object every later cell reads them from.
import vm from "node:vm";
import { defineTensorFlowGlobal, loadTensorFlow } from "../globals.js";
import { InterruptedError } from "./interrupt.js";
import { rememberCellLines } from "./line-map.js";
import type { CellSwapStats } from "./cell-swap.js";
import { createModuleLoader, type ModuleLoader } from "./modules.js";
import {
  createCellCompiler,
  isCompleteSource,
  saveTypeScriptCodeCache,
  type CellCompiler,
  type Completeness,
  type ConvertResult,
  type Diagnostic,
} from "./typescript.js";

export type RunResult =
  | { kind: "ok"; value: unknown; hasValue: boolean }
  | { kind: "compile-error"; diagnostics: Diagnostic[]; source: string }
  | { kind: "runtime-error"; error: unknown };

export interface RunOptions {
  /** Temporary globals (values and their TypeScript types) visible to this code only while it runs. */
  globals?: Record<string, unknown>;
  types?: Record<string, string>;
  /** A name for stack traces, e.g. "cell[3]". */
  filename: string;
  /** Rejects when the user interrupts; raced against the cell. */
  interrupted: Promise<never>;
  /** Aborted on interrupt: code whose cell was interrupted while it compiled or loaded imports never starts. */
  signal?: AbortSignal;
  /** Keep the declarations this code makes for later cells (false for %eval-like one-off expressions). */
  persist?: boolean;
  /** Lines of the cell before this code (magic lines), so that tracebacks use the cell's own line numbers. */
  firstLine?: number;
}

interface GlobalHandoff {
  exports: Record<string, unknown>;
  require: (specifier: string) => unknown;
  /** Makes `exports[name]` read and write a cell's own `let`/`var` (closures then see later cells' writes). */
  bindLocal: (exports: object, name: string, get: () => unknown, set: (value: unknown) => void) => void;
}

const HANDOFF = "__labnote_cell__";
/** The hoisted `exports.a = exports.b = void 0;` lines (TypeScript writes 50 names a line): what a cell declares. */
const HOISTED_EXPORTS = /^((?:exports\.[\w$]+ = )+)void 0;$/gm;
const MENTIONS_TF = /(^|[^\w$.])tf\b/;
/**
 * Cells with a loop of their own run with vm's breakOnSigint (SIGINT stops them with a clean exception). It costs
 * about a millisecond per cell (Node starts and joins a watchdog thread), so loop-free cells skip it: if one hangs
 * in code it calls, the interrupt watchdog (interrupt.ts) stops it, as it stops loops after an await.
 */
const MAY_LOOP = /\b(while|for|do)\b/;

/** tslab's exports proxy: defineProperty (emitted for named imports) becomes a plain rewritable property. */
function createExportsObject(): { exports: Record<string, unknown>; target: Record<string, unknown> } {
  const target: Record<string, unknown> = {};
  const exports = new Proxy(target, {
    defineProperty(_target, property, attributes) {
      if (property === "__esModule") return true;
      target[property as string] = attributes.get ? (attributes.get as () => unknown)() : attributes.value;
      return true;
    },
  });
  return { exports, target };
}

function isSigintInterruption(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === "ERR_SCRIPT_EXECUTION_INTERRUPTED";
}

/** Throw-away completions once the full program is built. */
const PRIME_COMPLETIONS = 40;
/** How long after priming the compiler's code cache is written (once per machine and TypeScript/Node version). */
const CODE_CACHE_SAVE_DELAY_MS = 500;
/**
 * The @types packages join the program this long after the quick program is ready when no cell has come (a cell
 * sent right after start-up, as nbclient and papermill send it, is checked first), or this long after that first cell
 * (so its reply leaves before the thread is busy for a second).
 */
const TYPE_ROOTS_AFTER_PRIME_MS = 500;
const TYPE_ROOTS_AFTER_FIRST_CELL_MS = 30;
/**
 * What only the full program can check: imports and requires (their packages' types may use Node's), `tf` (its
 * types do), global augmentations and triple-slash references.
 */
const NEEDS_TYPE_ROOTS = /\bimport\b|\brequire\b|\bdeclare\s+(global|module|namespace)\b|\/\/\/\s*<reference|(^|[^\w$.])tf\b/;

export class TypeScriptSession {
  private compiler: CellCompiler | undefined;
  /** Whether a cell was already given the chance of the quick check (compilerFor). */
  private quickCheckUsed = false;
  private typeRootsTimer: NodeJS.Timeout | undefined;
  private prevDecl = "";
  private readonly exports: Record<string, unknown>;
  private readonly exportsTarget: Record<string, unknown>;
  /** Names whose `exports` entry is an accessor of some cell's local `let`/`var`. */
  private readonly boundNames = new Set<string>();
  private readonly loader: ModuleLoader;

  constructor(private readonly projectDir: string) {
    this.loader = createModuleLoader(projectDir);
    ({ exports: this.exports, target: this.exportsTarget } = createExportsObject());
    const handoff: GlobalHandoff = {
      exports: this.exports,
      require: this.loader.require,
      bindLocal: (_exports, name, get, set) => {
        Object.defineProperty(this.exportsTarget, name, { get, set, configurable: true, enumerable: true });
        this.boundNames.add(name);
      },
    };
    Object.defineProperty(globalThis, HANDOFF, { value: handoff, configurable: true, enumerable: false, writable: true });
  }

  /**
   * Creates the TypeScript compiler (synchronous): at first without the @types packages (the ECMAScript library, the
   * kernel's globals and the cells: a fraction of the full build), which only the first cell may be checked against.
   */
  warmUp(): CellCompiler {
    this.compiler ??= createCellCompiler(this.projectDir, { typeRoots: false });
    return this.compiler;
  }

  /** The compiler with the @types packages in (≈1 s the first time, synchronous): what every other request uses. */
  private fullCompiler(): CellCompiler {
    const compiler = this.warmUp();
    if (compiler.hasTypeRoots) return compiler;
    clearTimeout(this.typeRootsTimer);
    compiler.includeTypeRoots();
    // The rebuild that parses them happens here, not in the next user cell; so does the completion priming.
    compiler.convert(this.prevDecl, "0", HANDOFF);
    this.primeCompletions(compiler);
    return compiler;
  }

  private includeTypeRootsIn(ms: number): void {
    clearTimeout(this.typeRootsTimer);
    this.typeRootsTimer = setTimeout(() => this.compiler && this.fullCompiler(), ms).unref();
  }

  /**
   * warmUp, then one throw-away conversion: the first user cell finds the type checker built. A moment later (or right
   * after a first cell) the @types packages join; then, between requests, throw-away completions, and the compiler's
   * code cache is written for the next kernel.
   */
  prime(): void {
    const compiler = this.warmUp();
    compiler.convert(this.prevDecl, "0", HANDOFF);
    if (!compiler.hasTypeRoots) this.includeTypeRootsIn(TYPE_ROOTS_AFTER_PRIME_MS);
  }

  /**
   * The language service builds its completion caches on the first request (~50 ms), and V8 compiles the completion
   * code only after it has run a while: both here, not on the user's first Tabs. With the program unchanged, the
   * repeats cost ~0.3 ms each. All in one go, right after the full build: spread between requests, each would make the
   * next cell rebuild a program its text had left unchanged.
   */
  private primeCompletions(compiler: CellCompiler): void {
    if (this.compiler !== compiler) return;
    for (let i = 0; i < PRIME_COMPLETIONS; i++) compiler.complete(this.prevDecl, "Math.", 5);
    setTimeout(() => this.compiler === compiler && saveTypeScriptCodeCache(), CODE_CACHE_SAVE_DELAY_MS).unref();
  }

  /**
   * The compiler for this code: the quick one (no @types yet) only for the first cell of the session, and only when it
   * needs nothing the @types packages could declare; every other cell waits for the full program.
   */
  private compilerFor(source: string, extraTypes: Record<string, string>): CellCompiler {
    const compiler = this.warmUp();
    if (compiler.hasTypeRoots) return compiler;
    const quick = !this.quickCheckUsed && Object.keys(extraTypes).length === 0 && !NEEDS_TYPE_ROOTS.test(source);
    this.quickCheckUsed = true;
    return quick ? compiler : this.fullCompiler();
  }

  private convert(compiler: CellCompiler, source: string, extraTypes: Record<string, string>): ConvertResult {
    if (MENTIONS_TF.test(source)) compiler.declareTensorFlow();
    const hasExtras = Object.keys(extraTypes).length > 0;
    if (hasExtras) compiler.setExtraGlobals(extraTypes);
    try {
      return compiler.convert(this.prevDecl, source, HANDOFF);
    } finally {
      if (hasExtras) compiler.setExtraGlobals({});
    }
  }

  /**
   * Between requests, after a cell's reply: the declarations the next cell will be checked against are parsed now
   * (the compiler's swap takes them), not when that cell or a completion comes.
   */
  prepareNext(): void {
    if (this.compiler?.hasTypeRoots) this.compiler.prepareDeclarations(this.prevDecl);
  }

  /** The compiler's swap counts (cell-swap.ts), once it is built. */
  get swapStats(): Readonly<CellSwapStats> | undefined {
    return this.compiler?.swapStats;
  }

  /** Whether the compiler's program holds the @types packages yet (false until after a quickly checked first cell). */
  get typeRootsIncluded(): boolean {
    return this.compiler?.hasTypeRoots ?? false;
  }

  get ready(): boolean {
    return this.compiler !== undefined;
  }

  /** The notebook's top-level declarations (values), by name. */
  get locals(): Readonly<Record<string, unknown>> {
    return this.exports;
  }

  async run(source: string, options: RunOptions): Promise<RunResult> {
    const extraTypes = options.types ?? {};
    const compiler = this.compilerFor(source, extraTypes);
    const converted = this.convert(compiler, source, extraTypes);
    if (compiler.hasTypeRoots) return this.runConverted(source, options, converted);
    // Checked without the @types packages: any problem is judged again by the full program, whose verdict stands.
    if (converted.diagnostics.length > 0) return this.runConverted(source, options, this.convert(this.fullCompiler(), source, extraTypes));
    try {
      return await this.runConverted(source, options, converted);
    } finally {
      this.includeTypeRootsIn(TYPE_ROOTS_AFTER_FIRST_CELL_MS);
    }
  }

  private async runConverted(source: string, options: RunOptions, converted: ConvertResult): Promise<RunResult> {
    if (converted.diagnostics.length > 0) return { kind: "compile-error", diagnostics: converted.diagnostics, source };
    if (converted.sideOutputs) this.loader.updateSideOutputs(converted.sideOutputs);
    if (!converted.output) {
      if (options.persist !== false) this.prevDecl = converted.declOutput ?? "";
      return { kind: "ok", value: undefined, hasValue: false };
    }
    const output = converted.output;
    const restoreGlobals = this.defineTemporaryGlobals(options.globals ?? {});
    try {
      await Promise.race([this.prepare(source, output), options.interrupted]);
      if (options.signal?.aborted) throw new InterruptedError();
      this.detachRedeclared(output);
      rememberCellLines(options.filename, source, output, options.firstLine ?? 0);
      const completion = this.evaluate(output, converted.hasToplevelAwait === true, options.filename, options.signal, MAY_LOOP.test(source));
      await Promise.race([completion, options.interrupted]);
    } catch (error) {
      if (isSigintInterruption(error)) return { kind: "runtime-error", error: new InterruptedError() };
      return { kind: "runtime-error", error };
    } finally {
      restoreGlobals();
    }
    if (options.persist !== false) this.prevDecl = converted.declOutput ?? "";
    const name = converted.lastExpressionVar;
    if (name === undefined || !(name in this.exports)) return { kind: "ok", value: undefined, hasValue: false };
    const value = this.exports[name];
    delete this.exports[name];
    return { kind: "ok", value, hasValue: value !== undefined };
  }

  complete(source: string, position: number) {
    return this.fullCompiler().complete(this.prevDecl, source, position);
  }

  inspect(source: string, position: number) {
    return this.fullCompiler().inspect(this.prevDecl, source, position);
  }

  isComplete(source: string): Completeness {
    return isCompleteSource(source);
  }

  close(): void {
    clearTimeout(this.typeRootsTimer);
    this.compiler?.close();
    this.compiler = undefined;
  }

  private async prepare(source: string, output: string): Promise<void> {
    await this.loader.prepare(output);
    // `tf` is a lazy global: loading TensorFlow.js costs seconds, so only cells that mention it pay.
    if (MENTIONS_TF.test(source) && !("tf" in globalThis)) defineTensorFlowGlobal(await loadTensorFlow());
  }

  /**
   * Runs the emitted code. It is always reached after an await, so it runs as a microtask: if the interrupt
   * watchdog has to terminate it, V8 unwinds only the microtask queue, not a timer or immediate list.
   */
  private evaluate(output: string, hasTopLevelAwait: boolean, filename: string, signal: AbortSignal | undefined, breakOnSigint: boolean): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(new InterruptedError());
    const prefix = hasTopLevelAwait ? "(async function (exports, require) { " : "(function (exports, require) { ";
    const wrapped = `${prefix}${output}\n})(${HANDOFF}.exports, ${HANDOFF}.require)`;
    try {
      const returned: unknown = vm.runInThisContext(wrapped, { filename, breakOnSigint });
      return Promise.resolve(hasTopLevelAwait ? returned : undefined);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A cell that redeclares a bound name gets a new variable: the old cell's closures keep their last value
   * instead of seeing the new declaration's hoisted `void 0`.
   */
  private detachRedeclared(output: string): void {
    if (this.boundNames.size === 0) return;
    const names = [...output.matchAll(HOISTED_EXPORTS)].flatMap((line) => [...line[1]!.matchAll(/exports\.([\w$]+) = /g)].map((m) => m[1]!));
    for (const name of names) {
      if (!this.boundNames.delete(name)) continue;
      const value = this.exportsTarget[name];
      Object.defineProperty(this.exportsTarget, name, { value, writable: true, configurable: true, enumerable: true });
    }
  }

  private defineTemporaryGlobals(globals: Record<string, unknown>): () => void {
    const target = globalThis as Record<string, unknown>;
    const previous = new Map<string, PropertyDescriptor | undefined>();
    for (const [name, value] of Object.entries(globals)) {
      previous.set(name, Object.getOwnPropertyDescriptor(target, name));
      Object.defineProperty(target, name, { value, configurable: true, writable: true, enumerable: false });
    }
    return () => {
      for (const [name, descriptor] of previous) {
        if (descriptor) Object.defineProperty(target, name, descriptor);
        else delete target[name];
      }
    };
  }
}
