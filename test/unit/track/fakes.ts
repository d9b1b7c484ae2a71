// A small fake MagicContext and Display for testing %track without the kernel.
import type { JSONObject, MimeBundle } from "../../../kernel/types.js";
import type { Display, DisplayHandle, MagicContext, ParsedArgs } from "../../../magics/types.js";

export interface DisplayEvent {
  kind: "display" | "update";
  displayId?: string;
  data: MimeBundle;
}

export function fakeDisplay(): { display: Display; events: DisplayEvent[] } {
  const events: DisplayEvent[] = [];
  let handles = 0;
  const bundleOf = (spec: object, svg: boolean): MimeBundle => ({
    "application/vnd.vegalite.v5+json": spec,
    "text/plain": "chart",
    ...(svg ? { "image/svg+xml": "<svg/>" } : {}),
  });
  const makeHandle = (): DisplayHandle => {
    const displayId = `d${++handles}`;
    let shown = false;
    const send = (data: MimeBundle): void => {
      events.push({ kind: shown ? "update" : "display", displayId, data });
      shown = true;
    };
    return {
      displayId,
      bundle: (data) => send(data),
      html: (html) => send({ "text/html": html }),
      markdown: (md) => send({ "text/markdown": md }),
      text: (text) => send({ "text/plain": text }),
      json: (value) => send({ "application/json": value }),
      svg: (svg) => send({ "image/svg+xml": svg }),
      vegaLite: async (spec, options) => send(bundleOf(spec, options?.svg !== false)),
    };
  };
  const push = (data: MimeBundle): void => void events.push({ kind: "display", data });
  const display = Object.assign((value: unknown) => push({ "text/plain": String(value) }), {
    bundle: (data: MimeBundle) => push(data),
    html: (html: string) => push({ "text/html": html }),
    markdown: (md: string) => push({ "text/markdown": md }),
    svg: (svg: string) => push({ "image/svg+xml": svg }),
    png: () => push({ "image/png": "" }),
    jpeg: () => push({ "image/jpeg": "" }),
    json: (value: unknown) => push({ "application/json": value }),
    text: (text: string) => push({ "text/plain": text }),
    raw: (mime: string, data: unknown) => push({ [mime]: data }),
    vegaLite: async (spec: object, options?: { svg?: boolean }) => push(bundleOf(spec, options?.svg !== false)),
    handle: makeHandle,
  }) as Display;
  return { display, events };
}

export function fakeContext(projectDir: string, cellCode = ""): { ctx: MagicContext; events: DisplayEvent[]; warnings: string[] } {
  const { display, events } = fakeDisplay();
  const warnings: string[] = [];
  const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (...args: string[]) => (...values: unknown[]) => Promise<unknown>;
  const ctx: MagicContext = {
    session: { projectDir, notebookPath: undefined, kernelId: "test-kernel", executionCount: 1, cellCode },
    display,
    output: { stream: () => undefined, displayData: () => undefined, updateDisplayData: () => undefined, clearOutput: () => undefined },
    comms: { registerTarget: () => undefined, unregisterTarget: () => undefined, open: () => { throw new Error("no comms in tests"); }, list: () => [] },
    signal: new AbortController().signal,
    evaluate: async () => undefined,
    execute: async (code, extra) => {
      const names = Object.keys(extra?.globals ?? {});
      return new AsyncFunction(...names, code)(...names.map((name) => extra!.globals![name]));
    },
    compileFunction: async () => async () => undefined,
    page: () => undefined,
    warn: (message) => void warnings.push(message),
  };
  return { ctx, events, warnings };
}

export function args(options: Record<string, unknown> = {}, positionals: Record<string, string | string[]> = {}, body = ""): ParsedArgs {
  return { options: options as ParsedArgs["options"], positionals, rest: "", body };
}

export type { JSONObject };
