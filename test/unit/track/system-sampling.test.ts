// System metrics reach the end of a run: a last reading when it ends, so a run shorter than the sampling interval
// still has them, and a longer one's curves end where it does.
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { track } from "../../../magics/track/index.js";

describe("system metrics", () => {
  it("are read once more when the run ends, at its last step", async () => {
    const store = createMemoryStore();
    const run = track.start({ store, captureEnvironment: false, systemIntervalMs: 600_000, warn: () => undefined });
    for (let step = 0; step < 10; step++) run.log({ loss: 1 / (step + 1) }, { step, split: "train" });
    await run.end();
    const cpu = await store.getMetrics(run.id, { key: "cpu_percent", split: "system" });
    expect(cpu.map((point) => point.step)).toEqual([9]);
    expect((await store.getMetrics(run.id, { key: "rss_mb", split: "system" }))[0]!.value).toBeGreaterThan(0);
  });

  it("are not read at all when sampling is off", async () => {
    const store = createMemoryStore();
    const run = track.start({ store, captureEnvironment: false, systemIntervalMs: 0, warn: () => undefined });
    run.log({ loss: 1 }, { step: 0, split: "train" });
    await run.end();
    expect(await store.getMetrics(run.id, { key: "cpu_percent", split: "system" })).toEqual([]);
  });
});
