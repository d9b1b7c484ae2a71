// Wall times of logged points stay true while run.log reads the clock less often in tight loops.
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { track } from "../../../magics/track/index.js";

const quietRun = () => track.start({ store: createMemoryStore(), captureEnvironment: false, systemIntervalMs: 0, anomalies: false, warn: () => undefined });
const busyWait = (ms: number) => {
  const until = Date.now() + ms;
  while (Date.now() < until);
};

describe("point wall times", () => {
  it("a 200,000-call tight loop dates every point inside the loop's span, never going back", async () => {
    const run = quietRun();
    const before = Date.now();
    for (let i = 0; i < 200_000; i++) run.log({ loss: 1 / (i + 1) });
    const after = Date.now();
    const series = run.series.get("", "loss")!;
    expect(series.length).toBe(200_000);
    let outside = 0;
    let backwards = 0;
    for (let i = 0; i < series.length; i++) {
      if (series.wallTimes[i]! < before || series.wallTimes[i]! > after) outside++;
      if (i > 0 && series.wallTimes[i]! < series.wallTimes[i - 1]!) backwards++;
    }
    expect({ outside, backwards }).toEqual({ outside: 0, backwards: 0 });
    await run.end();
  });

  it("dates each point of a slow loop that never yields at its own time, even after a burst of fast calls", async () => {
    const run = quietRun();
    for (let i = 0; i < 1000; i++) run.log({ loss: 1 }, { step: 0, split: "train" }); // a burst in one millisecond
    const expected: number[] = [];
    for (let step = 1; step <= 5; step++) {
      busyWait(4); // a slow training step without any await
      expected.push(Date.now());
      run.log({ loss: 1 / step }, { step, split: "train" });
      run.log({ acc: step / 5 }, { step, split: "train" });
    }
    const loss = run.series.get("train", "loss")!;
    const acc = run.series.get("train", "acc")!;
    for (let k = 0; k < 5; k++) {
      expect(loss.wallTimes[1000 + k]).toBeGreaterThanOrEqual(expected[k]!);
      expect(acc.wallTimes[k]).toBeGreaterThanOrEqual(expected[k]!);
    }
    await run.end();
  });
});
