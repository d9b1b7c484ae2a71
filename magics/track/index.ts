// The tracking library: `track.start(options)` → Run; `track.current()`. Importable as `import { track } from "labnote"`.
import { Run, currentTrackedRun, type RunOptions, type LogOptions, type LogListener } from "./run.js";

export const track = {
  /** Starts a run: `const run = track.start({ name: "mlp", params: { lr: 0.01 } }); …; await run.end();` */
  start(options: RunOptions = {}): Run {
    return new Run(options);
  },
  /** The run being tracked now (the latest started and not ended), if any. */
  current(): Run | undefined {
    return currentTrackedRun();
  },
};

export { Run };
export type { RunOptions, LogOptions, LogListener };
export type { RunResult } from "./summary.js";
export type { FitCallback, CallbackOptions, WatchableModel, NormTensor } from "./model-hooks.js";
