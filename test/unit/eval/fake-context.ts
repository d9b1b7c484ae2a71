// A small MagicContext for calling magic commands without a kernel: `evaluate` looks names up in a scope object
// (or runs a tiny arrow expression), displays and warnings are recorded for assertions.
import type { Display, MagicContext, ParsedArgs } from "../../../magics/types.js";

export interface FakeContext extends MagicContext {
  charts: object[];
  warnings: string[];
}

export function fakeContext(scope: Record<string, unknown>): FakeContext {
  const charts: object[] = [];
  const warnings: string[] = [];
  const display = Object.assign(() => undefined, {
    vegaLite: async (spec: object) => {
      charts.push(spec);
    },
  }) as unknown as Display;
  return {
    session: { projectDir: "/tmp", notebookPath: undefined, kernelId: "test", executionCount: 1, cellCode: "" },
    display,
    output: { stream: () => undefined, displayData: () => undefined, updateDisplayData: () => undefined, clearOutput: () => undefined },
    comms: { registerTarget: () => undefined, unregisterTarget: () => undefined, open: () => { throw new Error("no comms"); }, list: () => [] },
    signal: new AbortController().signal,
    async evaluate(expression: string) {
      const names = Object.keys(scope);
      return new Function(...names, `return (${expression});`)(...names.map((name) => scope[name]));
    },
    async execute() {
      throw new Error("not in this fake");
    },
    async compileFunction() {
      throw new Error("not in this fake");
    },
    page: () => undefined,
    warn: (message: string) => {
      warnings.push(message);
    },
    charts,
    warnings,
  };
}

export function parsed(options: ParsedArgs["options"], rest = ""): ParsedArgs {
  return { options, positionals: {}, rest, body: "" };
}
