// A child process for the multi-process store tests. Usage:
//   store-worker.ts create-trials LOCATION STUDY_NAME COUNT KERNEL_ID   → prints the numbers it got, as JSON
//   store-worker.ts append-metrics LOCATION RUN_ID KEY BATCHES BATCH_SIZE → appends BATCHES×BATCH_SIZE points
//   store-worker.ts append-forever LOCATION RUN_ID BATCH_SIZE          → appends until killed, printing "committed N"
//   store-worker.ts create-runs LOCATION NAME COUNT                    → creates COUNT runs named NAME
//   store-worker.ts shared-then-exit LOCATION RUN_NAME                 → creates a run through getStore, exits without closing
import { getStore, openStore } from "../../../store/index.js";
import type { MetricPoint } from "../../../store/types.js";

const [command, location, ...rest] = process.argv.slice(2);
if (command === "shared-then-exit") {
  // Only the shared store's connection: any other open connection would keep the write-ahead log alive.
  const shared = await getStore("/tmp", { location: location! });
  await shared.createRun({ name: rest[0]! });
  process.exit(0);
}
const store = await openStore("/tmp", { location: location! });

function batch(runId: string, key: string, firstStep: number, size: number): MetricPoint[] {
  return Array.from({ length: size }, (_, offset) => ({ runId, key, split: "train", step: firstStep + offset, value: firstStep + offset, wallTime: Date.now() }));
}

switch (command) {
  case "create-trials": {
    const [studyName, count, kernelId] = rest as [string, string, string];
    const study = await store.getStudy(studyName);
    if (!study) throw new Error(`study ${studyName} missing`);
    // Half sequential, half concurrent: both paths must allocate unique numbers against the other processes.
    const numbers: number[] = [];
    const total = Number(count);
    for (let index = 0; index < total / 2; index++) numbers.push((await store.createTrial(study.id, { kernelId })).number);
    const concurrent = await Promise.all(Array.from({ length: total - numbers.length }, () => store.createTrial(study.id, { kernelId })));
    numbers.push(...concurrent.map((trial) => trial.number));
    process.stdout.write(JSON.stringify(numbers));
    break;
  }
  case "create-runs": {
    const [name, count] = rest as [string, string];
    for (let index = 0; index < Number(count); index++) await store.createRun({ name });
    process.stdout.write("done");
    break;
  }
  case "append-metrics": {
    const [runId, key, batches, batchSize] = rest as [string, string, string, string];
    for (let index = 0; index < Number(batches); index++) {
      await store.appendMetrics(batch(runId, key, index * Number(batchSize), Number(batchSize)));
    }
    process.stdout.write("done");
    break;
  }
  case "append-forever": {
    const [runId, batchSize] = rest as [string, string];
    const size = Number(batchSize);
    for (let index = 0; ; index++) {
      await store.appendMetrics(batch(runId, "loss", index * size, size));
      process.stdout.write(`committed ${index + 1}\n`);
    }
  }
  default:
    throw new Error(`unknown worker command ${command}`);
}
await store.close();
