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

  it("are read from the run's periodic work when a busy loop never lets the timer run", async () => {
    const store = createMemoryStore();
    const run = track.start({ store, captureEnvironment: false, systemIntervalMs: 100, warn: () => undefined });
    const started = performance.now();
    let step = 0;
    // 0.8 s of steps whose awaits are microtasks only (as wasm's tensor.data() resolves): no timer runs meanwhile.
    while (performance.now() - started < 800) {
      run.log({ loss: 1 / (step + 1) }, { step, split: "train" });
      step++;
      await Promise.resolve();
    }
    const during = run.series.get("system", "rss_mb")?.length ?? 0;
    await run.end();
    expect(during).toBeGreaterThanOrEqual(2);
    const steps = (await store.getMetrics(run.id, { key: "cpu_percent", split: "system" })).map((point) => point.step);
    expect(steps[0]).toBeLessThan(step - 1); // readings from inside the loop, not only the one at the end
  });

  it("are not read at all when sampling is off", async () => {
    const store = createMemoryStore();
    const run = track.start({ store, captureEnvironment: false, systemIntervalMs: 0, warn: () => undefined });
    run.log({ loss: 1 }, { step: 0, split: "train" });
    await run.end();
    expect(await store.getMetrics(run.id, { key: "cpu_percent", split: "system" })).toEqual([]);
  });
});
