// A fake MagicContext for %%tune: compileFunction builds a real async function from the (JavaScript-valid) body.
import type { MimeBundle } from "../../../kernel/types.js";
import type { Display, DisplayHandle, MagicContext, ParsedArgs } from "../../../magics/types.js";

export interface Output {
  kind: "display" | "update";
  displayId?: string;
  data: MimeBundle;
}

export function tuneContext(projectDir: string, signal = new AbortController().signal): { ctx: MagicContext; outputs: Output[]; warnings: string[] } {
  const outputs: Output[] = [];
  const warnings: string[] = [];
  const chart = (spec: object, svg: boolean): MimeBundle => ({ "application/vnd.vegalite.v5+json": spec, "text/plain": "chart", ...(svg ? { "image/svg+xml": "<svg/>" } : {}) });
  let handles = 0;
  const handle = (): DisplayHandle => {
    const displayId = `d${++handles}`;
    let shown = false;
    const send = (data: MimeBundle): void => {
      outputs.push({ kind: shown ? "update" : "display", displayId, data });
      shown = true;
    };
    return {
      displayId,
      bundle: send,
      html: (html) => send({ "text/html": html }),
      markdown: (md) => send({ "text/markdown": md }),
      text: (text) => send({ "text/plain": text }),
      json: (value) => send({ "application/json": value }),
      svg: (svg) => send({ "image/svg+xml": svg }),
      vegaLite: async (spec, options) => send(chart(spec, options?.svg !== false)),
    };
  };
  const push = (data: MimeBundle): void => void outputs.push({ kind: "display", data });
  const display = Object.assign((value: unknown) => push({ "text/plain": String(value) }), {
    bundle: push,
    html: (html: string) => push({ "text/html": html }),
    markdown: (md: string) => push({ "text/markdown": md }),
    svg: (svg: string) => push({ "image/svg+xml": svg }),
    png: () => push({ "image/png": "" }),
    jpeg: () => push({ "image/jpeg": "" }),
    json: (value: unknown) => push({ "application/json": value }),
    text: (text: string) => push({ "text/plain": text }),
    raw: (mime: string, data: unknown) => push({ [mime]: data }),
    vegaLite: async (spec: object, options?: { svg?: boolean }) => push(chart(spec, options?.svg !== false)),
    handle,
  }) as Display;
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;
  const ctx: MagicContext = {
    session: { projectDir, notebookPath: undefined, kernelId: "tune-test-kernel", executionCount: 1, cellCode: "" },
    display,
    output: { stream: () => undefined, displayData: () => undefined, updateDisplayData: () => undefined, clearOutput: () => undefined },
    comms: { registerTarget: () => undefined, unregisterTarget: () => undefined, open: () => { throw new Error("no comms in tests"); }, list: () => [] },
    signal,
    evaluate: async () => undefined,
    execute: async () => undefined,
    compileFunction: async (body, params) => new AsyncFunction(...params.map((p) => p.name), body),
    page: () => undefined,
    warn: (message) => void warnings.push(message),
  };
  return { ctx, outputs, warnings };
}

export function tuneArgs(options: Record<string, unknown>, body: string): ParsedArgs {
  return { options: { mode: "min", reduce: "last", pruner: "none", parallel: 1, ...options } as ParsedArgs["options"], positionals: {}, rest: "", body };
}
