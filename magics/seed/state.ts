// The seed in force for this kernel process. %seed N installs a seeded PRNG behind Math.random, which also seeds
// TensorFlow.js: its random ops and layer initialisers draw their seeds from Math.random when none is given.
import { createRandom } from "./prng.js";

const originalRandom = Math.random;
let seedInForce: number | null = null;

/** The %seed in force, or null when Math.random is the platform's own. */
export function currentSeed(): number | null {
  return seedInForce;
}

/** Replaces Math.random with the sfc32 stream for `seed`, from its start (calling it again restarts the stream). */
export function setSeed(seed: number): void {
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}; use e.g. %seed 42.`);
  Math.random = createRandom(seed);
  seedInForce = seed;
}

/** Puts the platform's Math.random back. */
export function clearSeed(): void {
  Math.random = originalRandom;
  seedInForce = null;
}
