// Options that name data take a TypeScript expression, spaces and all, without shell quoting.
import { describe, expect, it } from "vitest";
import { scanExpression } from "../../../magics/expression-scanner.js";
import { parseArguments } from "../../../magics/parser.js";
import type { CommandSpec } from "../../../magics/types.js";
import { UsageError } from "../../../magics/types.js";

const report: CommandSpec = {
  summary: "report",
  usage: "%eval report --labels EXPR --preds EXPR [--slices EXPR]",
  options: [
    { name: "labels", type: "expression", description: "labels" },
    { name: "preds", short: "p", type: "expression", description: "predictions" },
    { name: "slices", type: "expression", description: "slices" },
    { name: "baselines", type: "expression", description: "baselines" },
    { name: "tests", type: "expression", description: "tests", repeatable: true },
    { name: "bins", type: "integer", description: "bins" },
    { name: "charts", type: "boolean", default: true, description: "charts" },
  ],
  positionals: [{ name: "NAME", description: "a name" }],
  run: () => undefined,
};

function usageErrorOf(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

const optionsOf = (text: string) => parseArguments(report, text).options;

describe("expression options", () => {
  it("keep brackets, braces, parentheses and arrow functions whole, spaces included", () => {
    expect(optionsOf("--labels y --preds [1, 2]")).toMatchObject({ labels: "y", preds: "[1, 2]" });
    expect(optionsOf("--slices {island: isl} --labels y")).toMatchObject({ slices: "{island: isl}", labels: "y" });
    expect(optionsOf("--baselines {rule: preds.map(p => 1)} --no-charts")).toMatchObject({ baselines: "{rule: preds.map(p => 1)}", charts: false });
    expect(optionsOf("--preds probs.map((p: number[]) => p.indexOf(Math.max(...p))) --bins 5")).toMatchObject({
      preds: "probs.map((p: number[]) => p.indexOf(Math.max(...p)))",
      bins: 5,
    });
  });

  it("keep strings, template literals (with substitutions), regexes and comments whole", () => {
    expect(optionsOf(`--labels names.map(n => n === "a b" ? 1 : 0)`).labels).toBe(`names.map(n => n === "a b" ? 1 : 0)`);
    expect(optionsOf("--labels ys.map(y => `class ${y + 1} }`) --bins 3")).toMatchObject({ labels: "ys.map(y => `class ${y + 1} }`)", bins: 3 });
    expect(optionsOf("--labels rows.map(r => / (x)/.test(r) ? 1 : 0) --bins 3").labels).toBe("rows.map(r => / (x)/.test(r) ? 1 : 0)");
    expect(optionsOf("--labels [1, /* one ) */ 2] --bins 3").labels).toBe("[1, /* one ) */ 2]");
    expect(optionsOf(`--labels ['it\\'s', "x"]`).labels).toBe(`['it\\'s', "x"]`);
  });

  it("continue across spaces around operators, arrows, ternaries, method chains and as-casts", () => {
    expect(optionsOf("--preds scores > 0.5 ? 1 : 0 --labels y")).toMatchObject({ preds: "scores > 0.5 ? 1 : 0", labels: "y" });
    expect(optionsOf("--preds a - b --labels y").preds).toBe("a - b");
    expect(optionsOf("--preds (xs) => xs.map(f) --labels y").preds).toBe("(xs) => xs.map(f)");
    expect(optionsOf("--preds raw .map(Number) --labels y").preds).toBe("raw .map(Number)");
    expect(optionsOf("--preds await load() --labels y").preds).toBe("await load()");
    expect(optionsOf("--preds v as number[] --labels y").preds).toBe("v as number[]");
    expect(optionsOf("--preds new Map<string, number>() --labels y").preds).toBe("new Map<string, number>()");
  });

  it("end at whitespace otherwise, leaving positionals and short options to the parser", () => {
    const args = parseArguments(report, "--preds p -- last");
    expect(args.options.preds).toBe("p");
    expect(args.positionals.NAME).toBe("last");
    expect(parseArguments(report, "--labels y first").positionals.NAME).toBe("first");
    expect(optionsOf("-p [0, 1] --labels y")).toMatchObject({ preds: "[0, 1]", labels: "y" });
  });

  it("read --name=VALUE and -xVALUE forms, repeat when repeatable, and unquote a wholly shell-quoted value", () => {
    expect(optionsOf("--preds=[1, 2] --labels=y")).toMatchObject({ preds: "[1, 2]", labels: "y" });
    expect(optionsOf("-p[3, 4]").preds).toBe("[3, 4]");
    expect(optionsOf("--tests [a, b] --tests c").tests).toEqual(["[a, b]", "c"]);
    expect(optionsOf(`--slices '{ island: isl }' --labels "y.slice(1)"`)).toMatchObject({ slices: "{ island: isl }", labels: "y.slice(1)" });
  });

  it("refuse unbalanced expressions, naming the option and showing the expression", () => {
    for (const [text, message] of [
      ["--preds [1, 2 --labels y", /^--preds \[1, 2 --labels y: "\[" is never closed; add \]/],
      ["--slices {island: isl]", /^--slices \{island: isl\]: "\]" does not match "\{", which needs \}/],
      ["--preds f(1)) --labels y", /^--preds f\(1\)\) --labels y: "\)" closes nothing/],
      [`--labels ["a, b]`, /^--labels \["a, b\]: the string opened by """ is never closed/],
      ["--labels `x ${y}", /^--labels `x \$\{y\}: the template literal opened by "`" is never closed/],
      ["--labels y // all", /^--labels y \/\/ all: a \/\/ comment would swallow the rest of the line/],
      ["--labels", /--labels needs a value/],
      ["--labels --preds p", /--labels needs a value/],
    ] as const) {
      const error = usageErrorOf(() => parseArguments(report, text));
      expect(error.message, text).toMatch(message);
      expect(error.usage).toBe(report.usage);
    }
  });
});

describe("scanExpression", () => {
  it("says where the expression ends", () => {
    expect(scanExpression("  [1, 2] rest", 0)).toEqual({ expression: "[1, 2]", end: 8 });
    expect(scanExpression("x", 0)).toEqual({ expression: "x", end: 1 });
    expect(scanExpression("   ", 0)).toEqual({ expression: "", end: 3 });
  });
});
