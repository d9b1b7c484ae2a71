// The contract between the kernel's magic framework and every magic (%track, %version, %tune, %eval, …).
// A magic lives in magics/<name>/command.ts and exports a `MagicSpec`; the registry finds it by directory.
// command.ts must stay light at import time: import heavy libraries (tfjs, vega, isomorphic-git, the store)
// inside `run` with `await import(...)` so kernel start-up does not pay for them.
import type { CellHooks, CommManager, JSONObject, MimeBundle, OutputSink, SessionInfo } from "../kernel/types.js";

export type OptionType =
  | "string" // --name lr-3e-3
  | "number" // --trials 50 (float)
  | "integer" // --limit 20
  | "boolean" // --data (flag, no value)
  | "list" // --tags mlp,baseline  → string[]
  | "keyvalue" // --param lr=0.003 (repeatable) → Record<string, string | number | boolean>
  | "expression"; // --labels y  → the raw TypeScript expression text; evaluate with ctx.evaluate

export interface OptionSpec {
  name: string; // long name without dashes: "name" for --name
  short?: string; // one letter: "m" for -m
  type: OptionType;
  description: string;
  required?: boolean;
  /** Allowed values (strings) — the parser rejects others with a usage error. */
  choices?: readonly string[];
  default?: string | number | boolean | string[];
  /** For "string"/"number"/"expression": the option may be given several times → array. "keyvalue" always repeats. */
  repeatable?: boolean;
}

export interface PositionalSpec {
  name: string; // "ID"
  description: string;
  required?: boolean;
  /** Takes all remaining positionals (e.g. `%track compare ID ID …`). */
  variadic?: boolean;
}

export type OptionValue = string | number | boolean | string[] | number[] | Record<string, string | number | boolean>;

export interface ParsedArgs {
  /** Parsed options by long name, defaults filled in. */
  options: Record<string, OptionValue | undefined>;
  /** Positionals by spec name (variadic → string[]). */
  positionals: Record<string, string | string[] | undefined>;
  /** The raw argument text after the magic name (and subcommand), e.g. the expression of `%time expr`. */
  rest: string;
  /** For a cell magic: the cell body (every line after the `%%name …` line). Empty for line magics. */
  body: string;
}

export interface CommandSpec {
  summary: string;
  /** One-line usage, e.g. `%track runs [--where EXPR] [--sort [-]KEY] [--limit N]`. Shown with every usage error. */
  usage: string;
  options?: OptionSpec[];
  positionals?: PositionalSpec[];
  /** When true the parser does not tokenize: `rest` carries the raw text (e.g. %time, %timeit). */
  rawArgs?: boolean;
  run(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult | void> | MagicResult | void;
}

export interface MagicSpec {
  name: string; // "track"
  summary: string; // one line for %lsmagic
  /** Full help text (markdown-ish plain text) shown by `%name?` in the pager. */
  help: string;
  /** `%%name args` + body. */
  cell?: CommandSpec;
  /** `%name args` with no subcommand. */
  line?: CommandSpec;
  /** `%name sub args`, e.g. %track runs, %version commit. */
  subcommands?: Record<string, CommandSpec>;
}

/** What a magic returns: data first (application/json), a text rendering, and optionally HTML (tables). */
export interface MagicResult {
  data: unknown;
  text: string;
  html?: string;
}

export interface DisplayHandle {
  readonly displayId: string;
  /** First call displays, later calls update in place (update_display_data). */
  bundle(data: MimeBundle, metadata?: JSONObject): void;
  html(html: string): void;
  markdown(md: string): void;
  text(text: string): void;
  json(value: unknown): void;
  svg(svg: string): void;
  /**
   * Vega-Lite spec → application/vnd.vegalite.v5+json + text/plain, plus static renderings for exporters unless
   * `svg: false` (live updates): image/png and text/markdown (a <picture> of the SVG with the PNG as fallback), or with
   * `png: false` image/svg+xml and text/markdown (an <img> of the SVG). See vegaLiteBundle in kernel/display.ts.
   */
  vegaLite(spec: object, options?: { svg?: boolean; png?: boolean }): Promise<void>;
}

export interface Display {
  (value: unknown): void;
  bundle(data: MimeBundle, metadata?: JSONObject): void;
  html(html: string): void;
  markdown(md: string): void;
  svg(svg: string): void;
  png(data: Uint8Array | string): void; // bytes or base64
  jpeg(data: Uint8Array | string): void;
  json(value: unknown): void;
  text(text: string): void;
  raw(mime: string, data: unknown): void;
  vegaLite(spec: object, options?: { svg?: boolean; png?: boolean }): Promise<void>;
  handle(): DisplayHandle;
}

export interface MagicContext {
  readonly session: SessionInfo;
  readonly display: Display;
  readonly output: OutputSink;
  readonly comms: CommManager;
  /** Aborted when the user interrupts the cell. Long-running magics must watch it. */
  readonly signal: AbortSignal;
  /** Evaluate a TypeScript expression in the notebook's scope (e.g. `--labels y`). */
  evaluate(expression: string): Promise<unknown>;
  /**
   * Run code as a normal cell (type-checked, declarations persist), with extra globals visible to it while it runs.
   * `types` gives each extra global's TypeScript type as source text, e.g. { run: 'import("labnote").Run' }.
   * Resolves to the value of the last expression.
   */
  execute(code: string, extra?: { globals?: Record<string, unknown>; types?: Record<string, string> }): Promise<unknown>;
  /**
   * Compile `body` as the body of an async function with the given parameters, in the notebook's scope
   * (type-checked; `return` allowed). Used by %%tune: compileFunction(body, [{ name: "trial", type: 'import("labnote").Trial' }]).
   */
  compileFunction(body: string, params: { name: string; type: string }[]): Promise<(...args: unknown[]) => Promise<unknown>>;
  /** Put text in the pager (execute_reply payload, source "page"). */
  page(text: string, html?: string): void;
  /** An inline warning (stderr stream, visibly marked). Never throws. */
  warn(message: string): void;
}

/** A mistake in how the magic was called. The kernel shows `message` and the command's usage; nothing ran. */
export class UsageError extends Error {
  override readonly name = "UsageError";
  constructor(message: string, readonly usage?: string) {
    super(message);
  }
}

/** A magic failed for a reason the user can act on; `message` says what went wrong and what to do. */
export class MagicError extends Error {
  override readonly name: string = "MagicError";
}

/** What a magic module may hook into once at kernel start (e.g. %version's auto-snapshot). Keep `setup` cheap. */
export interface KernelServices {
  readonly projectDir: string;
  readonly kernelId: string;
  readonly notebookPath: string | undefined;
  readonly comms: CommManager;
  addCellHooks(hooks: CellHooks): void;
  /**
   * Optional: `task` runs when the kernel shuts down, awaited (within the shutdown grace period) before the process
   * exits — e.g. %version writing the last cells' background snapshots. Engines without it simply skip the tasks.
   */
  onShutdown?(task: () => Promise<void>): void;
  /**
   * Optional: when (Date.now()) the kernel last worked on a frontend request — a cell, a completion, an inspection.
   * Background work (e.g. %version's snapshots) waits for a quiet moment so that it never slows what the user waits for.
   */
  lastRequestAt?(): number;
}

/** Every magics/<dir>/command.ts exports `magics: MagicModule["magics"]` and optionally `setup`. */
export interface MagicModule {
  magics: MagicSpec[];
  setup?(kernel: KernelServices): void | Promise<void>;
}
