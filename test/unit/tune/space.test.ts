import { describe, expect, it } from "vitest";
import { choiceDistribution, floatDistribution, fromUnit, intDistribution, SearchSpaceError, toUnit } from "../../../magics/tune/space.js";

describe("search space validation", () => {
  it("refuses an empty range, saying how to fix it", () => {
    expect(() => floatDistribution("lr", 1, 1)).toThrow(/range is empty.*swap or widen/);
    expect(() => intDistribution("width", 10, 2)).toThrow(SearchSpaceError);
  });
  it("refuses a log range that is not positive", () => {
    expect(() => floatDistribution("lr", 0, 1, { log: true })).toThrow(/log range needs low > 0/);
    expect(() => intDistribution("n", -1, 10, { log: true })).toThrow(/low > 0/);
  });
  it("refuses a choice of one, an empty choice and duplicates", () => {
    expect(() => choiceDistribution("act", ["relu"])).toThrow(/choice of one is not a search/);
    expect(() => choiceDistribution("act", [])).toThrow(/empty/);
    expect(() => choiceDistribution("act", ["a", "a"])).toThrow(/duplicates/);
  });
  it("refuses non-integer int bounds and step with log", () => {
    expect(() => intDistribution("n", 1.5, 4)).toThrow(/integers/);
    expect(() => floatDistribution("x", 1, 10, { log: true, step: 1 })).toThrow(/step and log/);
  });
});

describe("unit-cube mapping", () => {
  it("maps log floats on a log scale", () => {
    const lr = floatDistribution("lr", 1e-4, 1e-1, { log: true });
    expect(fromUnit(lr, 0.5)).toBeCloseTo(Math.sqrt(1e-4 * 1e-1), 10);
    expect(toUnit(lr, 1e-4)).toBe(0);
    expect(fromUnit(lr, 1)).toBeCloseTo(0.1, 12);
  });
  it("gives every integer an equal share and respects step", () => {
    const n = intDistribution("n", 1, 4);
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 1000; i++) counts[fromUnit(n, (i + 0.5) / 1000) - 1]!++;
    expect(counts).toEqual([250, 250, 250, 250]);
    const stepped = intDistribution("w", 16, 64, { step: 16 });
    const seen = new Set(Array.from({ length: 101 }, (_, i) => fromUnit(stepped, i / 100)));
    expect([...seen].sort((a, b) => a - b)).toEqual([16, 32, 48, 64]);
    const fstep = floatDistribution("d", 0, 0.5, { step: 0.1 });
    expect(fromUnit(fstep, 0.33)).toBe(0.2);
  });
});
