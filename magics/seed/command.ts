// %seed N — fixes the randomness the kernel controls (Math.random, hence TensorFlow.js random ops and initialisers)
// and records the seed in the current run; %seed alone shows the seed in force; %seed off restores Math.random.
import { MagicError, UsageError, type MagicResult, type MagicSpec, type ParsedArgs } from "../types.js";
import { clearSeed, currentSeed, setSeed } from "./state.js";

const USAGE = "%seed [N | off]";

const HELP = `%seed N — make this kernel's randomness reproducible

  %seed 42     install a seeded PRNG (sfc32) behind Math.random, from the start of its stream
  %seed        show the seed in force
  %seed off    restore the platform's Math.random

Covers Math.random and everything drawing from it: TensorFlow.js random ops (tf.randomUniform, tf.randomNormal,
dropout) and layer initialisers when no explicit seed is passed, tf.util.shuffle, and labnote's random baselines.
Not covered: tf.data's shuffle without a seed (seeded from the clock — pass shuffle(n, "seed")), crypto.getRandomValues,
randomness in worker threads or other processes, and GPU kernels that are nondeterministic by themselves.
The seed is recorded as the "seed" param of the current %track run.`;

interface RunLike {
  param(key: string, value: number): void;
  id?: string;
}

async function recordInRun(seed: number): Promise<string | undefined> {
  try {
    const trackModule = (await import("../track/index.js" as string)) as { track?: { current(): RunLike | undefined } };
    const run = trackModule.track?.current();
    run?.param("seed", seed);
    return run?.id;
  } catch {
    return undefined; // %track is not available in this build
  }
}

async function runSeed(args: ParsedArgs): Promise<MagicResult> {
  const text = args.rest.trim();
  if (text === "") {
    const seed = currentSeed();
    return { data: { seed }, text: seed === null ? "No seed in force: Math.random is the platform's own. Use %seed N." : `Seed in force: ${seed}` };
  }
  if (text === "off") {
    clearSeed();
    return { data: { seed: null }, text: "Seed cleared: Math.random is the platform's own again." };
  }
  if (!/^-?\d+$/.test(text)) throw new UsageError(`expected an integer seed or "off", got "${text}"`, USAGE);
  const seed = Number(text);
  if (!Number.isSafeInteger(seed)) throw new MagicError(`seed ${text} is too large; use an integer between −2^53 and 2^53.`);
  setSeed(seed);
  const runId = await recordInRun(seed);
  return {
    data: { seed, recordedInRun: runId ?? null },
    text: `Seed ${seed} in force: Math.random and TensorFlow.js random ops are reproducible${runId ? `; recorded in run ${runId}` : ""}.`,
  };
}

export const magics: MagicSpec[] = [
  {
    name: "seed",
    summary: "Seed every source of randomness the kernel controls, and record it in the run",
    help: HELP,
    line: { summary: "Set, show or clear the seed", usage: USAGE, rawArgs: true, run: runSeed },
  },
];
