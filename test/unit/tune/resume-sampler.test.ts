// A resumed study keeps the sampler it was created with.
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { Study } from "../../../magics/tune/study.js";
import type { Trial } from "../../../magics/tune/trial.js";

const objective = (trial: Trial): number => (trial.float("x", -2, 2) - 0.5) ** 2;

describe("resuming a study", () => {
  it("with another sampler is an error naming both samplers", async () => {
    const store = createMemoryStore();
    await (await Study.open({ name: "s", sampler: "tpe", seed: 3, store })).optimize(objective, { trials: 3 });
    await expect(Study.open({ name: "s", sampler: "random", store })).rejects.toThrow(
      /Study "s" was created with --sampler tpe; it cannot resume with --sampler random\. Re-run with --sampler tpe \(or without --sampler\)/,
    );
  });

  it("with the same sampler, or none given, uses the stored one", async () => {
    const store = createMemoryStore();
    await (await Study.open({ name: "s", sampler: "random", seed: 3, store })).optimize(objective, { trials: 2 });
    expect((await Study.open({ name: "s", store })).sampler.name).toBe("random");
    const resumed = await (await Study.open({ name: "s", sampler: "random", store })).optimize(objective, { trials: 4 });
    expect(resumed.sampler).toBe("random");
    expect(resumed.trials).toHaveLength(4);
  });

  it("a new study without --sampler gets the default, and records it", async () => {
    const store = createMemoryStore();
    const study = await Study.open({ name: "fresh", seed: 1, store });
    expect(study.sampler.name).toBe("gp");
    expect((await store.getStudy("fresh"))?.config["sampler"]).toBe("gp");
  });
});
