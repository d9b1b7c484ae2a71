// A separate kernel-like process joining one study: `node --import tsx study-worker.ts PROJECT_DIR STUDY TRIALS`,
// with LABNOTE_STORE naming the shared store (SQLite file or PostgreSQL).
import { openStore } from "../../../store/index.js";
import { Study } from "../../../magics/tune/study.js";

const [projectDir, studyName, trials] = process.argv.slice(2);
const store = await openStore(projectDir!);
const study = await Study.open({ name: studyName!, sampler: "gp", seed: 11, store, kernelId: `worker-${process.pid}` });
await study.optimize(async (trial) => {
  const x = trial.float("x", -2, 2);
  const y = trial.float("y", -2, 2);
  await new Promise((resolve) => setTimeout(resolve, 2 + (trial.number % 3)));
  trial.report(x * x, 0);
  return x * x + y * y;
}, { trials: Number(trials), parallel: 2 });
await store.close();
