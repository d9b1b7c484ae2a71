// Child process for crash.test.ts: logs into the project's SQLite store and prints the steps that must be durable.
//   async mode: the loop yields; "durable N" is printed after two flush intervals have passed since step N.
//   sync mode: the loop never yields; "durable N" is printed once step N was logged 2 s ago (the background
//   writer thread stores it meanwhile).
import { track } from "../../../magics/track/index.js";

const [projectDir, name, stepsArg, pauseArg, mode] = process.argv.slice(2);
const totalSteps = Number(stepsArg ?? "0");
const pauseMs = Number(pauseArg ?? "250");
const run = track.start({ name, projectDir, flushIntervalMs: 100, systemIntervalMs: 0, captureEnvironment: false });
await run.ready;
process.stdout.write(`run ${run.id}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
if (mode === "sync") {
  const loggedAt: number[] = [];
  let reported = -1;
  for (let step = 0; ; step++) {
    const stepStarted = performance.now();
    while (performance.now() - stepStarted < 0.02); // a 20 µs "training step" that never yields
    run.log({ loss: 1 / (step + 1) }, { step, split: "train" });
    if (step % 1000 === 0) {
      const now = Date.now();
      loggedAt.push(now);
      while ((reported + 1) * 1000 < step && now - loggedAt[reported + 1] >= 2000) reported++;
      if (reported >= 0) process.stdout.write(`durable ${reported * 1000}\n`);
    }
  }
}
for (let step = 0; totalSteps === 0 || step < totalSteps; step++) {
  run.log({ loss: 1 / (step + 1) }, { step, split: "train" });
  if (step % 500 === 499) {
    await sleep(pauseMs);
    process.stdout.write(`durable ${step}\n`);
  }
}
await run.end();
process.stdout.write("done\n");
