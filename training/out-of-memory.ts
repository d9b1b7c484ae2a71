// Out-of-memory errors of a training step, told apart from other failures: the run ends `failed` with the step that
// failed, the last good one and what to try, instead of a backend being blamed for it.

/** What backends say when an allocation fails (wasm/cpu typed arrays, TensorFlow C, WebGPU/WebGL, V8). */
const OUT_OF_MEMORY = /out of memory|\bOOM\b|allocation failed|invalid typed array length|array buffer allocation|cannot allocate|failed to allocate|bad_alloc/i;

export function isOutOfMemory(error: unknown): boolean {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return OUT_OF_MEMORY.test(text);
}

interface FailedRun {
  summary?(values: Record<string, number | string>): void;
}

export interface OutOfMemoryContext {
  failedStep: number;
  lastGoodStep: number;
  batchSize: number;
  run: unknown;
}

/** The error trainLoop throws (the cell's %%track ends the run `failed`), after recording the steps in the run's summary. */
export function outOfMemoryError(error: unknown, context: OutOfMemoryContext): Error {
  const reason = error instanceof Error ? error.message : String(error);
  const lastGood = context.lastGoodStep >= 0 ? `the last good step was ${context.lastGoodStep} (its loss and everything before it is logged)` : "no step finished";
  try {
    (context.run as FailedRun | undefined)?.summary?.({ failure: "out of memory", failed_at_step: context.failedStep, last_good_step: context.lastGoodStep });
  } catch {
    // the run may have ended already; the error still says it all
  }
  return new Error(
    `trainLoop: out of memory at step ${context.failedStep} (${reason}); ${lastGood}. Try a smaller batchSize (now ${context.batchSize}) or model, ` +
      `dispose tensors kept between steps (tf.tidy), or set LABNOTE_MEMORY_LIMIT to be warned earlier.`,
    { cause: error },
  );
}
