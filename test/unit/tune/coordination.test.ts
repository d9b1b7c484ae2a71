// PostgreSQL coordination of a shared study: processes together start exactly the budget (no overshoot), and an
// owner whose session ended is recognised as dead (its running trials failed) while a live one is not.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { openStore } from "../../../store/index.js";
import { failTrialsOfDeadOwners, PostgresStudyCoordinator } from "../../../magics/tune/coordination.js";
import { Study } from "../../../magics/tune/study.js";
import { freshSchemaUrl, usePostgres } from "../store/pg-cluster.js";

const serverUrl = usePostgres();

describe("PostgreSQL study coordination", () => {
  it("two kernels × 3 parallel lanes start exactly the study's 23 trials, numbered once each", async () => {
    const location = await freshSchemaUrl(serverUrl());
    const projectDir = mkdtempSync(join(tmpdir(), "labnote-coordination-"));
    const stores = [await openStore(projectDir, { location }), await openStore(projectDir, { location })];
    const coordinators = [await PostgresStudyCoordinator.connect(location), await PostgresStudyCoordinator.connect(location)];
    try {
      const studies = await Promise.all(stores.map((store, index) => Study.open({ name: "exact", sampler: "random", seed: 1, store, kernelId: `kernel-${index}-${Date.now()}`, coordinator: coordinators[index]! })));
      const objective = async (trial: import("../../../magics/tune/trial.js").Trial) => {
        await new Promise((resolveWait) => setTimeout(resolveWait, 5));
        return trial.float("x", 0, 1);
      };
      const summaries = await Promise.all(studies.map((study) => study.optimize(objective, { trials: 23, parallel: 3 })));
      const trials = await stores[0]!.listTrials(studies[0]!.id);
      expect(trials.map((trial) => trial.number).sort((a, b) => a - b)).toEqual(Array.from({ length: 23 }, (_, index) => index));
      expect(trials.every((trial) => trial.state === "complete")).toBe(true);
      expect(new Set(trials.map((trial) => trial.kernelId)).size).toBe(2);
      // Each kernel returned only when the whole study was done, and saw all of it.
      for (const summary of summaries) expect(summary.trials.filter((trial) => trial.state === "complete")).toHaveLength(23);
    } finally {
      await Promise.all([...coordinators.map((coordinator) => coordinator.close()), ...stores.map((store) => store.close())]);
    }
  });

  it("knows an owner is dead once its session has ended, fails its running trial, and leaves live owners alone", async () => {
    const location = await freshSchemaUrl(serverUrl());
    const projectDir = mkdtempSync(join(tmpdir(), "labnote-coordination-"));
    const store = await openStore(projectDir, { location });
    const observer = await PostgresStudyCoordinator.connect(location);
    const living = await PostgresStudyCoordinator.connect(location);
    const dying = await PostgresStudyCoordinator.connect(location);
    try {
      const tag = Date.now();
      await living.register(`alive-${tag}`);
      await dying.register(`dead-${tag}`);
      const study = await store.ensureStudy("owners", "minimize", {});
      const aliveTrial = await store.createTrial(study.id, { kernelId: `alive-${tag}` });
      const deadTrial = await store.createTrial(study.id, { kernelId: `dead-${tag}` });
      const unknownTrial = await store.createTrial(study.id, { kernelId: `never-registered-${tag}` });
      expect(await observer.deadOwners([`alive-${tag}`, `dead-${tag}`])).toEqual([]);
      await dying.close(); // the process ends: PostgreSQL releases its lock
      expect(await observer.deadOwners([`alive-${tag}`, `dead-${tag}`, `never-registered-${tag}`])).toEqual([`dead-${tag}`]);
      const failed = await failTrialsOfDeadOwners(store, observer, await store.listTrials(study.id), () => false);
      expect(failed).toEqual([deadTrial.number]);
      const after = new Map((await store.listTrials(study.id)).map((trial) => [trial.number, trial]));
      expect(after.get(deadTrial.number)).toMatchObject({ state: "failed", error: expect.stringMatching(/died while the trial ran/) });
      expect(after.get(aliveTrial.number)!.state).toBe("running");
      expect(after.get(unknownTrial.number)!.state).toBe("running"); // not ours to judge: the heartbeat timeout decides
    } finally {
      await Promise.all([observer.close(), living.close(), store.close()]);
    }
  });
});
