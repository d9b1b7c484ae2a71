import { describe, expect, it } from "vitest";
import { diffCells, diffData, diffMetrics, unifiedDiff } from "../../../magics/version/diff.js";

describe("version diffs", () => {
  it("writes a unified diff git would recognise: headers, hunk ranges, context", () => {
    const before = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"].join("\n");
    const after = ["a", "b", "c", "D", "e", "f", "g", "h", "i", "j", "k"].join("\n");
    expect(unifiedDiff(before, after, { from: "v1 cell 1", to: "v2 cell 1" }, 1)).toBe(
      ["--- v1 cell 1", "+++ v2 cell 1", "@@ -3,3 +3,3 @@", " c", "-d", "+D", " e", "@@ -10,1 +10,2 @@", " j", "+k", ""].join("\n"),
    );
    expect(unifiedDiff("same", "same", { from: "a", to: "b" })).toBe("");
  });

  it("pairs cells by position and names added, removed and modified cells", () => {
    const cells = diffCells(["x = 1", "y = 2"], ["x = 1", "y = 3", "z = 4"], { from: "A", to: "B" });
    expect(cells.map((cell) => [cell.cell, cell.change])).toEqual([[2, "modified"], [3, "added"]]);
    expect(cells[0]!.diff).toContain("-y = 2\n+y = 3");
    expect(diffCells(["a", "b"], ["a"], { from: "A", to: "B" })[0]!.change).toBe("removed");
  });

  it("reports data added, removed and modified with sizes, and metrics of runs by name", () => {
    const data = diffData(
      [{ path: "a.csv", size: 1, sha256: "1" }, { path: "b.csv", size: 2, sha256: "2" }],
      [{ path: "b.csv", size: 3, sha256: "3" }, { path: "c.csv", size: 4, sha256: "4" }],
    );
    expect(data.added.map((entry) => entry.path)).toEqual(["c.csv"]);
    expect(data.removed.map((entry) => entry.path)).toEqual(["a.csv"]);
    expect(data.modified).toEqual([{ path: "b.csv", before: { path: "b.csv", size: 2, sha256: "2" }, after: { path: "b.csv", size: 3, sha256: "3" } }]);
    const metrics = diffMetrics([{ id: "1", name: "mlp", params: {}, summary: { "val.acc": 0.7, loss: 1 } }], [{ id: "2", name: "mlp", params: {}, summary: { "val.acc": 0.8, loss: 1 } }]);
    expect(metrics).toEqual([{ run: "mlp", metric: "val.acc", before: 0.7, after: 0.8 }]);
  });
});
