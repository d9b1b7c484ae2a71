// Public API of %tune: `import { tune } from "labnote"`;
//   const study = tune.study({ name: "mlp", mode: "min", sampler: "gp", seed: 7 });
//   const result = await study.optimize(async (trial) => { const lr = trial.float("lr", 1e-4, 1e-1, { log: true }); … return valLoss; }, { trials: 50 });
import type { Store } from "../../store/types.js";
import { IMPORTANCE_ESTIMATOR, parameterImportances } from "./importance.js";
import { DEFAULT_SAMPLER, PRUNER_NAMES, SAMPLER_NAMES, createPruner, createSampler } from "./registry.js";
import { Study, type Objective, type OptimizeOptions, type StudyOptions, type StudySummary } from "./study.js";

import { Trial, TrialPruned } from "./trial.js";

export { Study, Trial, TrialPruned };
export type { StudyOptions, StudySummary, OptimizeOptions, Objective, TrialResult, Mode } from "./study.js";
export type { Sampler, TrialHistory, SamplingContext } from "./samplers/types.js";
export type { Pruner, PrunerTrial } from "./pruners/types.js";
export type { Distribution, ParamValue, ChoiceValue } from "./space.js";
export { SearchSpaceError } from "./space.js";
export { historyChart, parallelCoordinatesChart, importanceChart, sliceChart } from "./charts.js";
export { assertNotTestMetric, TestDataError } from "./test-guard.js";

export interface TuneStudyOptions extends Omit<StudyOptions, "store"> {
  /** A store; by default the project's shared store (SQLite in .labnote/, or LABNOTE_STORE). */
  store?: Store | Promise<Store>;
  /** Where the default store lives; default process.cwd(). */
  projectDir?: string;
}

/** A study handle usable before the store is open: `tune.study({...}).optimize(objective, { trials })`. */
export interface StudyHandle {
  open(): Promise<Study>;
  optimize(objective: Objective, options: OptimizeOptions): Promise<StudySummary>;
  summary(): Promise<StudySummary>;
}

export const tune = {
  samplers: SAMPLER_NAMES,
  pruners: PRUNER_NAMES,
  defaultSampler: DEFAULT_SAMPLER,
  importanceEstimator: IMPORTANCE_ESTIMATOR,
  study(options: TuneStudyOptions): StudyHandle {
    let opened: Promise<Study> | undefined;
    const open = (): Promise<Study> =>
      (opened ??= (async () => {
        const store = options.store ? await options.store : await (await import("../../store/index.js")).getStore(options.projectDir ?? process.cwd());
        return Study.open({ ...options, store });
      })());
    return {
      open,
      optimize: async (objective, optimizeOptions) => (await open()).optimize(objective, optimizeOptions),
      summary: async () => (await open()).summary(),
    };
  },
  createSampler,
  createPruner,
  parameterImportances,
};
