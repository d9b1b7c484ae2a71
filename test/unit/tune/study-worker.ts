// A separate kernel-like process joining one study:
// `node --import tsx study-worker.ts PROJECT_DIR STUDY TRIALS BARRIER_DIR PROCESSES`, with LABNOTE_STORE naming the
// shared store (SQLite file or PostgreSQL). Workers wait at a file barrier so all of them really run concurrently.
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openStore } from "../../../store/index.js";
import { Study } from "../../../magics/tune/study.js";

const [projectDir, studyName, trials, barrierDir, processes] = process.argv.slice(2);
const store = await openStore(projectDir!);
writeFileSync(join(barrierDir!, `ready-${process.pid}`), "");
while (readdirSync(barrierDir!).length < Number(processes)) await new Promise((resolve) => setTimeout(resolve, 20));
const study = await Study.open({ name: studyName!, sampler: "gp", seed: 11, store, kernelId: `worker-${process.pid}` });
await study.optimize(async (trial) => {
  const x = trial.float("x", -2, 2);
  const y = trial.float("y", -2, 2);
  await new Promise((resolve) => setTimeout(resolve, 10 + (trial.number % 3)));
  trial.report(x * x, 0);
  return x * x + y * y;
}, { trials: Number(trials), parallel: 2 });
await store.close();
