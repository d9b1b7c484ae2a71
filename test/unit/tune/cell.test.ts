// %%tune through its command with a fake kernel context: what the user sees and the data the cell returns.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { magics } from "../../../magics/tune/command.js";
import type { TuneCellResult } from "../../../magics/tune/cell.js";
import { closeSharedStores, getStore } from "../../../store/index.js";
import { tuneArgs, tuneContext } from "./fakes.js";
import { declareData } from "../../../magics/version/api.js";
import { setSession, VersionSession } from "../../../magics/version/session.js";

const command = magics[0]!.cell!;
let projectDir: string;
const previousStore = process.env.LABNOTE_STORE;
beforeAll(() => {
  projectDir = mkdtempSync(join(tmpdir(), "labnote-tune-cell-"));
  process.env.LABNOTE_STORE = "memory:";
});
afterAll(async () => {
  await closeSharedStores();
  if (previousStore === undefined) delete process.env.LABNOTE_STORE;
  else process.env.LABNOTE_STORE = previousStore;
  rmSync(projectDir, { recursive: true, force: true });
});

const BODY = `
const x = trial.float("x", -3, 3);
const n = trial.int("n", 1, 5);
const act = trial.choice("act", ["relu", "tanh"]);
return (x - 1) ** 2 + (n - 2) ** 2 / 10 + (act === "tanh" ? 0 : 0.3);`;

describe("%%tune", () => {
  it("returns the study as data, with best params, and shows progress, live history and final charts", async () => {
    const { ctx, outputs } = tuneContext(projectDir);
    const result = (await command.run(tuneArgs({ trials: 20, seed: 3, study: "quad" }, BODY), ctx))!;
    const data = result.data as TuneCellResult;
    expect(data).toMatchObject({ name: "quad", mode: "min", sampler: "gp", seed: 3 });
    expect(data.trials).toHaveLength(20);
    expect(data.best!.value).toBeLessThan(0.5);
    expect(data.best!.params["act"]).toBe("tanh");
    expect(Object.keys(data.importances).sort()).toEqual(["act", "n", "x"]);
    expect(result.text).toMatch(/study quad \(gp, none pruner, seed 3\): 20 trials \(20 complete\); best .* at trial \d+: /);
    expect(result.html).toContain("<table>");
    const progress = outputs.filter((o) => String(o.data["text/plain"] ?? "").includes("%%tune quad"));
    expect(progress.at(-1)!.data["text/plain"]).toMatch(/20\/20 \(100%\)/);
    const charts = outputs.filter((o) => o.data["application/vnd.vegalite.v5+json"]);
    const titles = charts.map((o) => JSON.stringify((o.data["application/vnd.vegalite.v5+json"] as { title?: unknown }).title ?? ""));
    expect(titles.some((t) => t.includes("optimisation history"))).toBe(true);
    expect(titles.some((t) => t.includes("parallel coordinates"))).toBe(true);
    expect(titles.some((t) => t.includes("Parameter importance"))).toBe(true);
    expect(titles.some((t) => t.includes("slices"))).toBe(true);
    // The history chart is one display updated in place, ending with an SVG.
    const history = charts.filter((o) => JSON.stringify(o.data).includes("optimisation history"));
    expect(new Set(history.map((o) => o.displayId)).size).toBe(1);
    expect(history.at(-1)!.data["image/svg+xml"]).toBeDefined();
  });

  it("records each trial as a tracked run with the trial's params", async () => {
    const { ctx } = tuneContext(projectDir);
    const result = await command.run(tuneArgs({ trials: 3, seed: 1, study: "tracked" }, BODY), ctx);
    const data = result!.data as TuneCellResult;
    const store = await getStore(projectDir);
    for (const trial of data.trials) {
      expect(trial.runId).toBeTruthy();
      const run = await store.getRun(trial.runId!);
      expect(run).toMatchObject({ studyName: "tracked", trialNumber: trial.number, status: "finished" });
      expect(run!.params).toMatchObject(trial.params);
    }
  });

  it("re-running the same cell resumes the study instead of repeating it", async () => {
    const first = tuneContext(projectDir);
    await command.run(tuneArgs({ trials: 6, seed: 5 }, BODY), first.ctx);
    const again = tuneContext(projectDir);
    const resumed = (await command.run(tuneArgs({ trials: 10, seed: 5 }, BODY), again.ctx))!.data as TuneCellResult;
    expect(resumed.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(resumed.name).toMatch(/^cell-/);
  });

  it("--metric val.loss reads the objective from the run log, and logged values drive pruning", async () => {
    const body = `
const rate = trial.float("rate", 0.01, 1, { log: true });
let loss = 10;
for (let epoch = 0; epoch < 12; epoch++) {
  loss *= 1 - rate * 0.5;
  run.log({ loss: loss * 2 }, { step: epoch, split: "train" });
  run.log({ loss }, { step: epoch, split: "val" });
}
return 12345; // ignored: --metric wins`;
    const { ctx } = tuneContext(projectDir);
    const data = (await command.run(tuneArgs({ trials: 16, seed: 2, metric: "val.loss", pruner: "median", sampler: "random", study: "metric" }, body), ctx))!.data as TuneCellResult;
    const complete = data.trials.filter((t) => t.state === "complete");
    for (const trial of complete) expect(trial.value).toBeCloseTo(10 * (1 - (trial.params["rate"] as number) * 0.5) ** 12, 8);
    expect(data.trials.some((t) => t.state === "pruned")).toBe(true);
    expect(data.metric).toBe("val.loss");
  });

  it("refuses --metric on the test split, explaining why and what to use instead", async () => {
    const { ctx } = tuneContext(projectDir);
    await expect(command.run(tuneArgs({ trials: 2, metric: "test.acc" }, BODY), ctx)).rejects.toThrow(/selection bias.*unbiased estimate.*validation split.*cross-validation/s);
  });

  it("refuses a body that reads data declared test (%version data PATH --test)", async () => {
    const session = new VersionSession({ projectDir, kernelId: "tune-test-kernel" });
    setSession(session);
    try {
      writeFileSync(join(projectDir, "holdout.csv"), "x,y\n1,2\n");
      await declareData(session, "holdout.csv", { test: true });
      const body = `const rows = require("node:fs").readFileSync("holdout.csv", "utf8"); return trial.float("x", 0, 1) + rows.length;`;
      const { ctx } = tuneContext(projectDir);
      await expect(command.run(tuneArgs({ trials: 2, study: "on-test" }, body), ctx)).rejects.toThrow(/declared as test \(holdout\.csv.*selection bias.*validation split/s);
    } finally {
      setSession(undefined);
    }
  });

  it("rejects bad arguments with a usage error before running anything", async () => {
    const { ctx } = tuneContext(projectDir);
    await expect(command.run(tuneArgs({ trials: 0 }, BODY), ctx)).rejects.toMatchObject({ name: "UsageError", message: expect.stringMatching(/--trials must be a positive integer/) });
    await expect(command.run(tuneArgs({ trials: 3, parallel: -1 }, BODY), ctx)).rejects.toMatchObject({ name: "UsageError" });
    await expect(command.run(tuneArgs({ trials: 3 }, "   "), ctx)).rejects.toThrow(/needs a body/);
    expect(magics[0]!.help).toMatch(/gp \(default\): Gaussian-process BO/);
  });

  it("reports failed trials with their reason inline and keeps going", async () => {
    const body = `const x = trial.float("x", 0, 1); if (trial.number % 2 === 1) throw new Error("diverged"); return x;`;
    const { ctx, warnings } = tuneContext(projectDir);
    const data = (await command.run(tuneArgs({ trials: 6, seed: 1, sampler: "random", study: "flaky" }, body), ctx))!.data as TuneCellResult;
    expect(data.trials.filter((t) => t.state === "failed")).toHaveLength(3);
    expect(data.trials.filter((t) => t.state === "complete")).toHaveLength(3);
    expect(warnings.some((w) => /trial 1 failed: Error: diverged \(the study continues\)/.test(w))).toBe(true);
  });

  it("says clearly when no trial completed", async () => {
    const body = `return trial.float("lr", 0, 1, { log: true });`;
    const { ctx } = tuneContext(projectDir);
    const result = (await command.run(tuneArgs({ trials: 2, seed: 1, study: "broken" }, body), ctx))!;
    expect(result.text).toMatch(/no trial completed; failures: .*log range needs low > 0/);
  });

  it("runs --parallel trials concurrently", async () => {
    const body = `globalThis.__tuneRunning = (globalThis.__tuneRunning ?? 0) + 1; globalThis.__tunePeak = Math.max(globalThis.__tunePeak ?? 0, globalThis.__tuneRunning);
const x = trial.float("x", 0, 1); await new Promise((r) => setTimeout(r, 10)); globalThis.__tuneRunning--; return x;`;
    const { ctx } = tuneContext(projectDir);
    await command.run(tuneArgs({ trials: 8, seed: 1, parallel: 3, study: "parallel" }, body), ctx);
    expect((globalThis as { __tunePeak?: number }).__tunePeak).toBe(3);
  });
});
