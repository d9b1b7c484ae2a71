// The runs table's sort and the curve bucketing, as pure functions.
import { describe, expect, it } from "vitest";
import { buildRunRecord } from "../../../store/records.js";
import { bucketsFromBlocks, bucketsFromPoints } from "../../../ui/server/buckets.js";
import { sortRunsByColumn } from "../../../ui/server/sort.js";

const run = (name: string, lr: unknown) => buildRunRecord({ name, params: lr === undefined ? {} : { lr: lr as number } });

describe("sortRunsByColumn", () => {
  const runs = [run("a", 0.1), run("b", undefined), run("c", "warm"), run("d", 0.01), run("e", Number.NaN), run("f", 0.1), run("g", "cold")];
  it("puts numbers by value, then text, then missing values; ties keep their order", () => {
    expect(sortRunsByColumn(runs, "params.lr").map((one) => one.name)).toEqual(["d", "a", "f", "g", "c", "b", "e"]);
    expect(sortRunsByColumn(runs, "-params.lr").map((one) => one.name)).toEqual(["a", "f", "d", "c", "g", "b", "e"]);
    expect(sortRunsByColumn(runs, "name").map((one) => one.name)).toEqual(["a", "b", "c", "d", "e", "f", "g"]);
  });
});

describe("buckets", () => {
  it("merge blocks into at most N buckets keeping min, max and the last value", () => {
    const blocks = [0, 1, 2, 3, 4].map((index) => ({ index, x0: index * 10, x1: index * 10 + 9, min: index, max: index === 3 ? 100 : index + 1, last: index + 0.5, t: index, count: 10 }));
    expect(bucketsFromBlocks(blocks, 2)).toEqual([
      { x0: 0, x1: 19, min: 0, max: 2, last: 1.5, t: 1, count: 20 },
      { x0: 20, x1: 49, min: 2, max: 100, last: 4.5, t: 4, count: 30 },
    ]);
    expect(bucketsFromBlocks(blocks, 10)).toHaveLength(5);
    expect(bucketsFromBlocks([{ ...blocks[0]!, min: null, max: null }], 1)[0]).toMatchObject({ min: Number.NaN, max: Number.NaN });
  });

  it("bucket points, ignoring NaN in min/max", () => {
    const points = [1, Number.NaN, 3, 7, 2].map((value, step) => ({ step, value, wallTime: step * 1000 }));
    expect(bucketsFromPoints(points, 2)).toEqual([
      { x0: 0, x1: 1, min: 1, max: 1, last: Number.NaN, t: 1000, count: 2 },
      { x0: 2, x1: 4, min: 2, max: 7, last: 2, t: 4000, count: 3 },
    ]);
  });
});
