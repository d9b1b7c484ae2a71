// Grid search: every combination of a finite grid, visited in a seeded shuffled order. Continuous floats get
// `pointsPerAxis` evenly spaced values (log-spaced when log). After the grid is exhausted it starts over.
import { createRandom, mixSeed } from "../rng.js";
import { cardinality, snap, type Distribution, type ParamValue } from "../space.js";
import type { Sampler, SamplingContext } from "./types.js";

export function gridValues(distribution: Distribution, pointsPerAxis: number): ParamValue[] {
  if (distribution.type === "choice") return [...distribution.choices];
  const count = Math.min(cardinality(distribution), pointsPerAxis);
  const { low, high, log } = distribution;
  const values: number[] = [];
  for (let i = 0; i < count; i++) {
    const fraction = count === 1 ? 0 : i / (count - 1);
    const raw = log ? Math.exp(Math.log(low) + fraction * (Math.log(high) - Math.log(low))) : low + fraction * (high - low);
    const value = Number(snap(distribution, raw).toPrecision(12));
    if (!values.includes(value)) values.push(value);
  }
  return values;
}

export class GridSampler implements Sampler {
  readonly name = "grid";
  constructor(private readonly pointsPerAxis = 5) {}

  sampleRelative(context: SamplingContext, space: Record<string, Distribution>): Record<string, ParamValue> {
    const names = Object.keys(space).sort();
    if (names.length === 0) return {};
    const axes = names.map((name) => gridValues(space[name]!, this.pointsPerAxis));
    const size = axes.reduce((total, axis) => total * axis.length, 1);
    const index = this.cellIndex(context, size);
    const proposal: Record<string, ParamValue> = {};
    let rest = index;
    names.forEach((name, i) => {
      const axis = axes[i]!;
      proposal[name] = axis[rest % axis.length]!;
      rest = Math.floor(rest / axis.length);
    });
    return proposal;
  }

  sampleIndependent(context: SamplingContext, name: string, distribution: Distribution): ParamValue {
    // A parameter first seen in this trial: walk its axis by trial number so early trials cover it evenly.
    const axis = gridValues(distribution, this.pointsPerAxis);
    const random = createRandom(mixSeed(context.seed, "grid-axis", name));
    const offset = random.int(axis.length);
    return axis[(context.trialNumber + offset) % axis.length]!;
  }

  private cellIndex(context: SamplingContext, size: number): number {
    // The k-th trial takes the k-th cell of a seeded permutation; the permutation is rebuilt the same way on resume.
    const random = createRandom(mixSeed(context.seed, "grid-order", size));
    const order = Array.from({ length: size }, (_, i) => i);
    for (let i = size - 1; i > 0; i--) {
      const j = random.int(i + 1);
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    return order[context.trialNumber % size]!;
  }
}
