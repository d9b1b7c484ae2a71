// %eval report — arguments are TypeScript expressions evaluated in the notebook's scope. Light at import time:
// the library is loaded inside `run`.
import { MagicError, type MagicContext, type MagicResult, type MagicSpec, type ParsedArgs } from "../types.js";

const USAGE =
  "%eval report --labels EXPR (--preds EXPR | --probs EXPR) [--probs EXPR] [--task classification|regression|lm] " +
  "[--classes EXPR] [--slices EXPR] [--baselines EXPR] [--train-labels EXPR] [--inputs EXPR] [--tests EXPR --model EXPR] [--interval wilson|bootstrap] [--bins N] [--seed N] [--no-charts]";

const EXPRESSION_OPTIONS = ["labels", "preds", "probs", "classes", "slices", "baselines", "train-labels", "inputs", "tests", "model"] as const;

const HELP = `%eval report — offline evaluation beyond one number

  ${USAGE}

Every value is a TypeScript expression evaluated in the notebook, e.g. --labels yTest --probs probsTest, and may hold
spaces inside brackets, braces, parentheses, strings and templates: --preds [1, 0, 1], --slices {island: isl},
--baselines {rule: inputs.map(x => 1)}. --slices COLUMN slices by one column, named after the expression.
Shows task metrics (classification: accuracy, precision/recall/F1 per class, macro, micro, weighted, confusion matrix,
ROC-AUC, PR-AUC, log loss, Brier; regression: MAE, RMSE, R²; lm: perplexity from token log-likelihoods given as --preds)
beside baselines (random, zero-rule, stratified, plus --baselines { name: predictions | heuristic fn | human score }),
calibration (top-label ECE/MCE, uniform and quantile bins, 10 by default; reliability diagram; accuracy vs coverage),
slices (--slices '{ island: column, heavy: (i: number) => mass[i] > 4500 }'; Wilson intervals; worst slices flagged by a
z-test (two-proportion for accuracy, Welch otherwise), Bonferroni-corrected) and CheckList tests (--tests [evaluate.mft(...), evaluate.inv(...)] --model batchFn).
The result is data (application/json) and attaches to the current %track run. Library: import { evaluate } from "labnote".`;

const ARGUMENT_TO_OPTION: Record<string, string> = { trainLabels: "train-labels" };

function optionFor(argument: string): string {
  const root = argument.split(".")[0]!;
  return ARGUMENT_TO_OPTION[root] ?? root;
}

/** `--slices col` (one column or predicate) becomes `{ col: value }`: one slice family named after the expression. */
function asSliceSpec(value: unknown, expression: string): unknown {
  const isColumn = Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView));
  return isColumn || typeof value === "function" ? { [expression.trim()]: value } : value;
}

/** What an input error says, prefixed by the option and the expression the user wrote for it. */
function inputErrorMessage(argument: string, detail: string, expressions: Record<string, string>): string {
  const option = optionFor(argument);
  const expression = expressions[option];
  return expression === undefined ? `--${option}: ${detail}` : `--${option} ${expression}: ${detail}`;
}

async function runReport(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  const values: Record<string, unknown> = {};
  const expressions: Record<string, string> = {};
  for (const name of EXPRESSION_OPTIONS) {
    const expression = args.options[name];
    if (typeof expression !== "string" || expression.trim() === "") continue;
    expressions[name] = expression;
    try {
      values[name] = await ctx.evaluate(expression);
    } catch (error) {
      throw new MagicError(`--${name} ${expression}: could not evaluate the expression (${error instanceof Error ? error.message : String(error)}); pass an expression defined in the notebook.`);
    }
  }
  if (expressions.slices !== undefined) values.slices = asSliceSpec(values.slices, expressions.slices);
  const { evaluate, EvalInputError } = await import("./index.js");
  const options = {
    labels: values.labels,
    preds: values.preds,
    probs: values.probs,
    classes: values.classes,
    slices: values.slices,
    baselines: values.baselines,
    trainLabels: values["train-labels"],
    inputs: values.inputs,
    tests: values.tests,
    model: values.model,
    task: args.options.task,
    bins: args.options.bins,
    sliceOptions: args.options.interval === "bootstrap" ? { interval: "bootstrap" } : undefined,
    seed: args.options.seed,
  } as Parameters<typeof evaluate.report>[0];
  let result;
  try {
    result = await evaluate.report(options);
  } catch (error) {
    if (error instanceof EvalInputError) throw new MagicError(inputErrorMessage(error.argument, error.message.slice(error.argument.length + 2), expressions));
    throw error;
  }
  for (const warning of result.warnings) ctx.warn(warning);
  if (args.options.charts !== false) {
    for (const spec of evaluate.reportCharts(result)) await ctx.display.vegaLite(spec);
  }
  return { data: result, text: evaluate.text(result), html: evaluate.html(result) };
}

export const magics: MagicSpec[] = [
  {
    name: "eval",
    summary: "Offline evaluation: metrics vs baselines, calibration, slices, behavioural tests",
    help: HELP,
    subcommands: {
      report: {
        summary: "Evaluate predictions against labels, with baselines, calibration, slices and tests",
        usage: USAGE,
        options: [
          { name: "labels", type: "expression", description: "true labels / targets (omit for --task lm)" },
          { name: "preds", type: "expression", description: "predicted labels / values; token log-likelihoods for --task lm" },
          { name: "probs", type: "expression", description: "probabilities: P(positive) per example, or one row per example" },
          { name: "task", type: "string", choices: ["classification", "regression", "lm"], description: "the task (inferred when omitted)" },
          { name: "classes", type: "expression", description: "class order (the columns of --probs)" },
          { name: "slices", type: "expression", description: "{ name: column | (index) => boolean }" },
          { name: "baselines", type: "expression", description: "{ name: predictions | heuristic (input, index) => label | human score }" },
          { name: "train-labels", type: "expression", description: "labels the zero-rule/stratified baselines learn from" },
          { name: "inputs", type: "expression", description: "the examples, passed to heuristic baselines" },
          { name: "tests", type: "expression", description: "behavioural tests (evaluate.mft / inv / dir / robustness)" },
          { name: "model", type: "expression", description: "batched model function for --tests: (inputs) => outputs" },
          { name: "interval", type: "string", choices: ["wilson", "bootstrap"], description: "slice intervals: Wilson (accuracy) or percentile bootstrap" },
          { name: "bins", type: "integer", description: "calibration bins (default 10)" },
          { name: "seed", type: "integer", description: "seed for random baselines and bootstrap (default: %seed)" },
          { name: "charts", type: "boolean", default: true, description: "Vega-Lite charts (--no-charts skips them)" },
        ],
        run: runReport,
      },
    },
  },
];
