import { describe, expect, it } from "vitest";
import { appendPointsToBuckets, buildBucketPanelsSpec, bucketRows, outlierFreeDomain, smoothValues, type BucketChartRow, type CurveBucket } from "../../../widgets/charts/index.js";
import { renderSvg } from "../../../widgets/charts/render.js";

type Panel = { title: { text: string }; data: { values: BucketChartRow[] }; layer: { mark: { type: string }; encoding: Record<string, { field?: string; type?: string; scale?: Record<string, unknown>; title?: unknown }> }[] };

/** 1,000 buckets of a decaying curve; bucket 500 holds one spike (max 50) that its last value does not show. */
function bucketsWithSpike(count = 1000, start = 1_700_000_000_000): CurveBucket[] {
  return Array.from({ length: count }, (_, index) => {
    const value = Math.exp(-index / 300);
    return { x0: index * 1000, x1: index * 1000 + 999, min: value * 0.9, max: index === 500 ? 50 : value * 1.1, last: value, t: start + index * 10, count: 1000 };
  });
}

describe("bucketed curve panels", () => {
  it("draws one panel per metric with a min..max band and a last-value line, runs coloured and splits dashed", () => {
    const spec = buildBucketPanelsSpec([
      { run: "a", metric: "loss", split: "train", buckets: bucketsWithSpike(10) },
      { run: "a", metric: "loss", split: "val", buckets: bucketsWithSpike(5) },
      { run: "b", metric: "loss", split: "train", buckets: bucketsWithSpike(10) },
      { run: "b", metric: "acc", split: "val", buckets: bucketsWithSpike(3) },
      { run: "c", metric: "acc", split: "val", buckets: [] },
    ]);
    const panels = spec.concat as Panel[];
    expect(panels.map((panel) => panel.title.text)).toEqual(["loss", "acc"]);
    const [band, line] = panels[0].layer;
    expect(JSON.stringify(band.mark)).toContain("scale('color', datum.run)"); // the band's outline shows a one-bucket spike
    expect(band.mark.type).toBe("area");
    expect(band.encoding.y.field).toBe("lo");
    expect(band.encoding.y2.field).toBe("hi");
    expect(line.mark.type).toBe("line");
    expect(line.encoding.y.field).toBe("y");
    expect(line.encoding.color.field).toBe("run");
    expect(line.encoding.strokeDash.field).toBe("split");
    expect(new Set(panels[0].data.values.map((row) => row.series))).toEqual(new Set(["a · train", "a · val", "b · train"]));
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
  });

  it("keeps a single spike among a million points in the band", async () => {
    const spec = buildBucketPanelsSpec([{ run: "spiky", metric: "loss", split: "train", buckets: bucketsWithSpike() }]);
    const rows = (spec.concat as Panel[])[0].data.values;
    expect(rows).toHaveLength(1000);
    expect(Math.max(...rows.map((row) => row.hi ?? 0))).toBe(50);
    expect(Math.max(...rows.map((row) => row.y ?? 0))).toBeLessThan(1.01); // the line alone would hide it
    const svg = await renderSvg(spec);
    expect(svg).toContain("<svg");
    expect(svg).toContain(">loss<");
    expect(svg).toMatch(/>50</); // the y axis reaches the spike
  });

  it("puts relative seconds or wall time on x when asked", () => {
    const buckets = bucketsWithSpike(3, 5_000);
    expect(bucketRows({ run: "r", metric: "m", split: "", buckets }, { x: "relative" }).map((row) => row.x)).toEqual([0, 0.01, 0.02]);
    expect(bucketRows({ run: "r", metric: "m", split: "", buckets, startedAt: 4_000 }, { x: "relative" })[0].x).toBe(1);
    expect(bucketRows({ run: "r", metric: "m", split: "", buckets }, { x: "wall" }).map((row) => row.x)).toEqual([5_000, 5_010, 5_020]);
    const spec = buildBucketPanelsSpec([{ run: "r", metric: "m", split: "", buckets }], { x: "wall" });
    expect((spec.concat as Panel[])[0].layer[1].encoding.x.type).toBe("temporal");
  });

  it("smooths the line only, with TensorBoard's debiased moving average", () => {
    expect(smoothValues([1, 1, 1], 0.9)).toEqual([1, 1, 1].map(() => expect.closeTo(1, 10)));
    const smoothed = smoothValues([0, 10, null, 0], 0.5);
    expect(smoothed[0]).toBe(0);
    expect(smoothed[1]).toBeCloseTo(20 / 3);
    expect(smoothed[2]).toBeNull();
    const rows = bucketRows({ run: "r", metric: "m", split: "", buckets: bucketsWithSpike(20) }, { smoothing: 0.8 });
    expect(rows[500 % 20].hi).toBeCloseTo(Math.exp(-0 / 300) * 1.1);
    expect(rows[10].y).not.toBe(rows[10].raw);
  });

  it("uses a log scale without non-positive values, and clips outliers from the y domain on request", () => {
    const buckets: CurveBucket[] = [0, 1, 2, 3].map((index) => ({ x0: index, x1: index, min: index - 1, max: index + 1, last: index, t: index, count: 1 }));
    const logRows = bucketRows({ run: "r", metric: "m", split: "", buckets }, { logScale: true });
    expect(logRows.map((row) => row.y)).toEqual([null, 1, 2, 3]);
    expect(logRows.map((row) => row.lo)).toEqual([null, null, 1, 2]);
    const logSpec = buildBucketPanelsSpec([{ run: "r", metric: "m", split: "", buckets }], { logScale: true });
    expect((logSpec.concat as Panel[])[0].layer[0].encoding.y.scale).toEqual({ type: "log" });

    const spiky: CurveBucket[] = Array.from({ length: 200 }, (_, index) => ({ x0: index, x1: index, min: 1, max: 1, last: index === 100 ? 1e6 : 1 + (index % 7) / 10, t: index, count: 1 }));
    const domain = outlierFreeDomain(bucketRows({ run: "r", metric: "m", split: "", buckets: spiky }));
    expect(domain![1]).toBeLessThan(10);
    const clipped = buildBucketPanelsSpec([{ run: "r", metric: "m", split: "", buckets: spiky }], { ignoreOutliers: true });
    expect((clipped.concat as Panel[])[0].layer[1].encoding.y.scale!.domain).toEqual(domain);
  });

  it("keeps hover tooltips for small charts and drops them past 10,000 buckets (Vega builds one per point)", () => {
    const few = buildBucketPanelsSpec([{ run: "a", metric: "loss", split: "", buckets: bucketsWithSpike(100) }]);
    expect((few.concat as Panel[])[0].layer[1].encoding.tooltip).toBeDefined();
    const many = buildBucketPanelsSpec(Array.from({ length: 20 }, (_, index) => ({ run: `r${index}`, metric: "loss", split: "", buckets: bucketsWithSpike(1000) })));
    expect((many.concat as Panel[])[0].layer[1].encoding.tooltip).toBeUndefined();
    const forced = buildBucketPanelsSpec([{ run: "a", metric: "loss", split: "", buckets: bucketsWithSpike(100) }], { tooltips: false });
    expect((forced.concat as Panel[])[0].layer[1].encoding.tooltip).toBeUndefined();
  });

  it("puts another metric on x, paired by step (as of the x metric's last step at or before each bucket), spikes as rules", async () => {
    const point = (step: number, value: number): CurveBucket => ({ x0: step, x1: step, min: value, max: value, last: value, t: 1_700_000_000_000 + step, count: 1 });
    // acc every 10 steps from step 5; loss every step from 0, with a spike bucket at step 20 (max 9).
    const loss = Array.from({ length: 31 }, (_, step) => ({ ...point(step, 1 / (step + 1)), ...(step === 20 ? { max: 9 } : {}) }));
    const acc = [5, 15, 25].map((step) => point(step, step / 100));
    const spec = buildBucketPanelsSpec([{ run: "a", metric: "acc", split: "val", buckets: acc, xBuckets: loss }], { x: "metric", xTitle: "train.loss" });
    const panel = (spec.concat as Panel[])[0];
    expect(panel.data.values.map((row) => [row.step, row.x, row.y])).toEqual([
      [5, 1 / 6, 0.05],
      [15, 1 / 16, 0.15],
      [25, 1 / 26, 0.25],
    ]);
    const [rules, line] = panel.layer;
    expect(rules.mark.type).toBe("rule"); // x need not grow with the step: min..max as a rule per bucket
    expect(line.encoding.order.field).toBe("step"); // the line runs in step order, not x order
    expect(line.encoding.x.title).toBe("train.loss");
    // loss against a sparser metric: buckets before its first point are left out, the rest hold its last value.
    const reverse = bucketRows({ run: "a", metric: "loss", split: "train", buckets: loss, xBuckets: acc }, { x: "metric" });
    expect(reverse[0].step).toBe(5);
    expect(reverse.find((row) => row.step === 20)).toMatchObject({ x: 0.15, hi: 9 });
    expect(reverse).toHaveLength(26);
    expect(await renderSvg(buildBucketPanelsSpec([{ run: "a", metric: "loss", split: "train", buckets: loss, xBuckets: acc }], { x: "metric", xTitle: "val.acc" }))).toContain("val.acc");
  });

  it("says so when nothing was logged", () => {
    expect(buildBucketPanelsSpec([]).title).toBe("no points logged yet");
  });
});

describe("live points merged into buckets", () => {
  it("appends new points, skips repeats and pairs buckets past twice the limit, keeping min, max and last", () => {
    let buckets: CurveBucket[] = [];
    buckets = appendPointsToBuckets(buckets, [{ step: 0, value: 1, t: 0 }, { step: 1, value: 2, t: 1 }], 2);
    buckets = appendPointsToBuckets(buckets, [{ step: 1, value: 2, t: 1 }, { step: 2, value: 99, t: 2 }, { step: 3, value: 3, t: 3 }], 2);
    expect(buckets.map((bucket) => bucket.x1)).toEqual([0, 1, 2, 3]);
    buckets = appendPointsToBuckets(buckets, [{ step: 4, value: 4, t: 4 }], 2);
    expect(buckets).toHaveLength(3);
    expect(buckets[1]).toEqual({ x0: 2, x1: 3, min: 3, max: 99, last: 3, t: 3, count: 2 });
    expect(buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(5);
    expect(appendPointsToBuckets([], [{ step: 0, value: Number.NaN, t: 0 }])[0].last).toBeNull();
  });
});
