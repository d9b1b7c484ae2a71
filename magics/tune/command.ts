// %%tune: hyperparameter search from a cell. Light at import time: the study, samplers and store load in `run`.
import type { MagicSpec } from "../types.js";
import { TUNE_USAGE } from "./usage.js";

const USAGE = TUNE_USAGE;

const HELP = `%%tune — hyperparameter search (soft AutoML) without touching test data

${USAGE}

The body runs once per trial, as an async function of \`trial\` (and \`run\`, the trial's tracked run):
    const lr = trial.float("lr", 1e-4, 1e-1, { log: true });
    const width = trial.int("width", 16, 256, { log: true });
    const act = trial.choice("act", ["relu", "tanh"]);
    // train; each epoch: trial.report(valLoss, epoch); if (trial.shouldPrune()) throw trial.prune();
    return valLoss;
Parameters are define-by-run: conditional ones (sampled only in some branches) are fine.

Options
  --trials N        the study's size (default 20); re-running the cell resumes the study up to N trials
  --sampler NAME    gp (default): Gaussian-process BO with expected improvement — the best general sampler for
                    tens to hundreds of trials (see npm run bench:tune); tpe (Optuna 3.1's TPE with one joint model
                    of the shared parameters; ahead of Optuna's tpe on every bench function), tpe-multivariate
                    (Optuna's multivariate TPE), random, grid
  --metric S.KEY    read the objective from the trial's run log, e.g. val.loss logged with
                    run.log({ loss }, { split: "val", step }); logged values also feed the pruner. A metric on the
                    "test" split is refused: tune on validation data, evaluate on test once.
  --reduce last|best  which logged value is the objective (default last)
  --mode min|max    direction (default min)
  --pruner NAME     none (default), median (stop trials worse than the median at the same step after 5 complete
                    trials), asha (successive halving: rungs at 1, 4, 16, … steps keep the top quarter),
                    hyperband (successive-halving brackets from aggressive to none, η = 3, the longest trial's
                    steps as the maximum resource)
  --study NAME      stored study name (default: derived from the cell body); studies live in the project store
                    (.labnote/ SQLite, or LABNOTE_STORE=postgres://… to share one study between kernels/machines)
  --seed N          reproducible sampling (default: the %seed in force, else a stored random seed)
  --parallel K      run K trials concurrently in this kernel
  --timeout S       start no new trial after S seconds

Each trial is a tracked run (see %track runs). A live progress bar and optimisation-history chart update while it
runs; at the end: best parameters, parallel coordinates, parameter importances (mean decrease in impurity of a
random forest fitted to the complete trials) and slice plots. The result is data:
{ name, best: { value, params, trial }, trials, importances }.
From code: import { tune } from "labnote"; await tune.study({ name, mode, sampler }).optimize(objective, { trials }).`;

export const magics: MagicSpec[] = [
  {
    name: "tune",
    summary: "hyperparameter search: gp (default), tpe, random, grid samplers; median/ASHA pruning; resumable studies",
    help: HELP,
    cell: {
      summary: "Run a hyperparameter study over the cell body",
      usage: USAGE,
      options: [
        { name: "trials", short: "n", type: "integer", description: "the study's size (default 20)", default: 20 },
        { name: "sampler", type: "string", description: "gp (default), tpe, tpe-multivariate, random, grid", choices: ["gp", "tpe", "tpe-multivariate", "random", "grid"] },
        { name: "metric", type: "string", description: "objective from the run log, SPLIT.KEY (e.g. val.loss)" },
        { name: "reduce", type: "string", description: "last (default) or best logged value of --metric", choices: ["last", "best"], default: "last" },
        { name: "mode", type: "string", description: "min (default) or max", choices: ["min", "max"], default: "min" },
        { name: "pruner", type: "string", description: "none (default), median, asha, hyperband", choices: ["none", "median", "asha", "hyperband"], default: "none" },
        { name: "study", type: "string", description: "study name (default: from the cell body)" },
        { name: "seed", type: "integer", description: "seed for reproducible sampling" },
        { name: "parallel", type: "integer", description: "trials run concurrently (default 1)", default: 1 },
        { name: "timeout", type: "number", description: "seconds after which no new trial starts" },
      ],
      async run(args, ctx) {
        const { runTuneCell } = await import("./cell.js");
        return runTuneCell(args, ctx);
      },
    },
  },
];
