// Sampler and pruner names as the magic and the library accept them.
import { MedianPruner } from "./pruners/median.js";
import { SuccessiveHalvingPruner } from "./pruners/asha.js";
import { HyperbandPruner } from "./pruners/hyperband.js";
import { NopPruner, type Pruner } from "./pruners/types.js";
import { GPSampler } from "./samplers/gp.js";
import { GridSampler } from "./samplers/grid.js";
import { RandomSampler } from "./samplers/random.js";
import { TPESampler } from "./samplers/tpe.js";
import type { Sampler } from "./samplers/types.js";

export const SAMPLER_NAMES = ["gp", "tpe", "tpe-multivariate", "random", "grid"] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];
/** The default: Gaussian-process BO, the best general sampler at tens to hundreds of trials (see bench/tune.ts). */
export const DEFAULT_SAMPLER: SamplerName = "gp";

export const PRUNER_NAMES = ["none", "median", "asha", "hyperband"] as const;
export type PrunerName = (typeof PRUNER_NAMES)[number];

export function createSampler(name: string): Sampler {
  switch (name) {
    case "gp":
      return new GPSampler();
    // The constant liar only changes studies with trials running side by side (--parallel, workers): it keeps
    // them from proposing the same point; a sequential study samples exactly as Optuna's defaults would.
    case "tpe":
      return new TPESampler({ constantLiar: true });
    case "tpe-multivariate":
      return new TPESampler({ multivariate: true, constantLiar: true });
    case "random":
      return new RandomSampler();
    case "grid":
      return new GridSampler();
    default:
      throw new Error(`Unknown sampler "${name}"; choose one of ${SAMPLER_NAMES.join(", ")}.`);
  }
}

export function createPruner(name: string): Pruner {
  switch (name) {
    case "none":
      return new NopPruner();
    case "median":
      return new MedianPruner();
    case "asha":
      return new SuccessiveHalvingPruner();
    case "hyperband":
      return new HyperbandPruner();
    default:
      throw new Error(`Unknown pruner "${name}"; choose one of ${PRUNER_NAMES.join(", ")}.`);
  }
}
