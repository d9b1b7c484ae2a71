import { describe, expect, it } from "vitest";
import { allColumns, defaultColumnIds, visibleColumns } from "../../../ui/page/views/runs-columns.js";

const names = { params: ["act", "lr", "width"], metrics: ["eval/accuracy", "eval/delta/random/accuracy", "steps", "train.loss", "val.acc", "wall_time_s"] };

describe("runs table columns", () => {
  it("shows the essentials, params, logged split metrics, then %eval's and summary numbers by default", () => {
    expect(defaultColumnIds(names)).toEqual(["status", "name", "tags", "duration", "params.act", "params.lr", "params.width", "train.loss", "val.acc", "eval/accuracy", "steps", "wall_time_s", "backend", "version"]);
  });

  it("offers final, min and max of every metric; only the final value sorts on the server", () => {
    const columns = allColumns(names);
    const accuracy = columns.filter((column) => column.id.startsWith("val.acc"));
    expect(accuracy.map((column) => [column.id, column.sortKey])).toEqual([["val.acc", "val.acc"], ["val.acc:min", null], ["val.acc:max", null]]);
    expect(columns.find((column) => column.id === "params.lr")?.sortKey).toBe("params.lr");
  });

  it("puts pinned columns first and keeps columns the URL names that no run has yet", () => {
    const { columns, pinnedCount } = visibleColumns(allColumns(names), ["status", "name", "val.acc", "params.dropout", "test.f1:max"], ["val.acc"]);
    expect(columns.map((column) => column.id)).toEqual(["val.acc", "status", "name", "params.dropout", "test.f1:max"]);
    expect(pinnedCount).toBe(1);
    expect(columns[3].label).toBe("dropout");
    expect(columns[4].label).toBe("test.f1 max");
  });
});
