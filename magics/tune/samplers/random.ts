// Uniform random search (in log space for log parameters): the baseline every other sampler must beat.
import { createRandom, mixSeed } from "../rng.js";
import { fromUnit, type Distribution, type ParamValue } from "../space.js";
import type { Sampler, SamplingContext } from "./types.js";

export function sampleUniform(distribution: Distribution, uniform: number): ParamValue {
  if (distribution.type === "choice") {
    return distribution.choices[Math.min(distribution.choices.length - 1, Math.floor(uniform * distribution.choices.length))]!;
  }
  return fromUnit(distribution, uniform);
}

export class RandomSampler implements Sampler {
  readonly name = "random";

  sampleRelative(): Record<string, ParamValue> {
    return {};
  }

  sampleIndependent(context: SamplingContext, name: string, distribution: Distribution): ParamValue {
    const random = createRandom(mixSeed(context.seed, context.trialNumber, "random", name));
    return sampleUniform(distribution, random.next());
  }
}
