// The MagicContext a magic's `run` receives: the session, display and output of the running cell, and access
// to the notebook's TypeScript scope (evaluate, execute, compileFunction) provided by the engine.
import type { CommManager, OutputSink, SessionInfo } from "../kernel/types.js";
import type { Display, MagicContext } from "./types.js";

export interface NotebookScopeAccess {
  /** Runs code as a cell would; resolves with the last expression's value; rejects with a reportable error. */
  runCode(code: string, options: { globals?: Record<string, unknown>; types?: Record<string, string>; persist: boolean; firstLine: number }): Promise<unknown>;
}

export interface MagicContextOptions {
  session: SessionInfo;
  display: Display;
  output: OutputSink;
  comms: CommManager;
  signal: AbortSignal;
  scope: NotebookScopeAccess;
  /** A cell magic's body and the cell line it starts on: errors in it are reported at the cell's own lines. */
  cellBody?: { text: string; firstLine: number };
  /** Adds an execute_reply payload (the pager). */
  addPayload(payload: { source: string; data: Record<string, string>; start: number }): void;
}

/** A parameter list for compileFunction, as TypeScript source. */
function parameterList(params: { name: string; type: string }[]): string {
  for (const { name } of params) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) throw new Error(`compileFunction: "${name}" is not a valid parameter name`);
  }
  return params.map(({ name, type }) => `${name}: ${type}`).join(", ");
}

export function createMagicContext(options: MagicContextOptions): MagicContext {
  const { scope } = options;
  // Line offset of `code` in the cell when it is the cell magic's body (or part of it), else 0.
  const lineOf = (code: string): number => {
    const body = options.cellBody;
    if (!body) return 0;
    const at = body.text.indexOf(code);
    return at < 0 ? 0 : body.firstLine + (body.text.slice(0, at).match(/\n/g)?.length ?? 0);
  };
  return {
    session: options.session,
    display: options.display,
    output: options.output,
    comms: options.comms,
    signal: options.signal,
    evaluate(expression) {
      // Parentheses keep an object literal an expression; the newline keeps the expression's own line 1.
      return scope.runCode(`(\n${expression}\n)`, { persist: false, firstLine: -1 });
    },
    execute(code, extra) {
      return scope.runCode(code, { globals: extra?.globals, types: extra?.types, persist: true, firstLine: lineOf(code) });
    },
    async compileFunction(body, params) {
      const source = `(async (${parameterList(params)}) => {\n${body}\n})`;
      const compiled = await scope.runCode(source, { persist: false, firstLine: body.trim() === "" ? -1 : lineOf(body) - 1 });
      if (typeof compiled !== "function") throw new Error("compileFunction: the body did not compile to a function");
      return compiled as (...args: unknown[]) => Promise<unknown>;
    },
    page(text, html) {
      const data: Record<string, string> = { "text/plain": text };
      if (html !== undefined) data["text/html"] = html;
      options.addPayload({ source: "page", data, start: 0 });
    },
    warn(message) {
      try {
        options.output.stream("stderr", `⚠ ${message}\n`);
      } catch {
        // a warning must never break the magic that emits it
      }
    },
  };
}
