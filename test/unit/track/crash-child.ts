// Child process for crash.test.ts: logs into the project's SQLite store and prints the steps that must be durable.
// Each "durable N" line is printed after two flush intervals have passed since step N was logged.
import { track } from "../../../magics/track/index.js";

const [projectDir, name, stepsArg, pauseArg] = process.argv.slice(2);
const pauseMs = Number(pauseArg ?? "250");
const totalSteps = Number(stepsArg ?? "0");
const run = track.start({ name, projectDir, flushIntervalMs: 100, systemIntervalMs: 0, captureEnvironment: false });
await run.ready;
process.stdout.write(`run ${run.id}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
for (let step = 0; totalSteps === 0 || step < totalSteps; step++) {
  run.log({ loss: 1 / (step + 1) }, { step, split: "train" });
  if (step % 500 === 499) {
    await sleep(pauseMs);
    process.stdout.write(`durable ${step}\n`);
  }
}
await run.end();
process.stdout.write("done\n");
