// The row diff engine: keyed and unkeyed joins, schema changes, drift (mean/std, categories, PSI checked against a
// hand computation), the four formats, and malformed input named by file and line.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { diffDataRows, TableFormatError } from "../../../magics/version/row-diff.js";
import { decileEdges, populationStabilityIndex, PSI_FLOOR } from "../../../magics/version/row-drift.js";
import { tempProject } from "./helpers.js";

const project = tempProject("labnote-row-diff-");
afterAll(() => project.cleanup());
let counter = 0;
function file(extension: string, text: string): string {
  const path = join(project.dir, `t${counter++}.${extension}`);
  writeFileSync(path, text);
  return path;
}

const BEFORE_CSV = "id,name,score,city\n1,ann,1.5,oslo\n2,bob,2.5,rome\n3,cy,3,oslo\n4,dee,4,paris\n";
const AFTER_CSV = 'id,name,score,country\n1,ann,1.5,no\n2,bob,9.5,it\n5,"eve, jr",5,fr\n3,cy,3,no\n';

describe("diffDataRows", () => {
  it("keyed: added, removed and changed rows with examples, and the schema change (a column swapped)", async () => {
    const diff = await diffDataRows(file("csv", BEFORE_CSV), file("csv", AFTER_CSV), { key: "id", workers: false });
    expect(diff.rows).toEqual({ added: 1, removed: 1, changed: 1, unchanged: 2 });
    expect(diff.examples.added).toEqual([{ line: 4, row: { id: "5", name: "eve, jr", score: "5", country: "fr" } }]);
    expect(diff.examples.removed).toEqual([{ line: 5, row: { id: "4", name: "dee", score: "4", city: "paris" } }]);
    expect(diff.examples.changed).toEqual([{ key: "2", line: { before: 3, after: 3 }, columns: [{ column: "score", before: "2.5", after: "9.5" }] }]);
    // The swapped column is a schema change, not a change of every row.
    expect(diff.schema).toEqual({ added: ["country"], removed: ["city"], retyped: [] });
    expect(diff.duplicateKeys).toEqual({ before: 0, after: 0 });
    expect(diff.drift.map((column) => column.column)).toEqual(["name", "score"]);
  });

  it("without a key compares rows as a multiset of contents: a changed row is one removed and one added; duplicates count", async () => {
    const before = file("csv", "a,b\n1,x\n1,x\n2,y\n3,z\n");
    const after = file("csv", "a,b\n1,x\n2,y\n3,Z\n4,w\n");
    const diff = await diffDataRows(before, after, { workers: false });
    expect(diff.key).toBeNull();
    expect(diff.rows).toEqual({ added: 2, removed: 2, changed: 0, unchanged: 2 });
    expect(diff.examples.added.map((example) => example.row)).toEqual([{ a: "3", b: "Z" }, { a: "4", b: "w" }]);
    expect(diff.examples.removed.map((example) => example.row)).toEqual([{ a: "1", b: "x" }, { a: "3", b: "z" }]);
    // Column order does not matter to row identity.
    const reordered = await diffDataRows(before, file("csv", "b,a\nx,1\nx,1\ny,2\nz,3\n"), { workers: false });
    expect(reordered.rows).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 4 });
  });

  it("reports a retyped column and duplicate keys", async () => {
    const diff = await diffDataRows(file("csv", "id,v\n1,10\n2,20\n2,21\n"), file("csv", "id,v\n1,ten\n2,20\n"), { key: "id", workers: false });
    expect(diff.schema.retyped).toEqual([{ column: "v", before: "integer", after: "string" }]);
    expect(diff.duplicateKeys).toEqual({ before: 1, after: 0 });
    expect(diff.rows).toEqual({ added: 0, removed: 0, changed: 1, unchanged: 1 });
  });

  it("drift: mean / std and PSI at the deciles of the first file, equal to a hand computation", async () => {
    // Before: 1..30, three values per decile bin (edges 4, 7, …, 28). After: 1..15 twice each.
    const beforeValues = Array.from({ length: 30 }, (_, i) => i + 1);
    const afterValues = Array.from({ length: 30 }, (_, i) => (i % 15) + 1);
    const before = file("csv", `x,c\n${beforeValues.map((x, i) => `${x},${i % 2 === 0 ? "a" : "b"}`).join("\n")}\n`);
    const after = file("csv", `x,c\n${afterValues.map((x, i) => `${x},${i < 24 ? "a" : "b"}`).join("\n")}\n`);
    const diff = await diffDataRows(before, after, { workers: false });
    const x = diff.drift.find((column) => column.column === "x")!;
    expect(x.numeric!.before.mean).toBeCloseTo(15.5, 12);
    expect(x.numeric!.before.std).toBeCloseTo(Math.sqrt(2247.5 / 29), 12);
    expect(x.numeric!.after.mean).toBeCloseTo(8, 12);
    // By hand: before 0.1 in each of the 10 bins; after 0.2 in the first five, the last five empty (floored).
    const byHand = 5 * (0.2 - 0.1) * Math.log(0.2 / 0.1) + 5 * (PSI_FLOOR - 0.1) * Math.log(PSI_FLOOR / 0.1);
    expect(x.psi).toBeCloseTo(byHand, 10);
    expect(x.psiBasis).toBe("10 bins at the deciles of the first file's values");
    // Categories: a 50% / 50% → 80% / 20%.
    const c = diff.drift.find((column) => column.column === "c")!;
    expect(c.categories).toEqual([{ value: "a", before: 0.5, after: 0.8 }, { value: "b", before: 0.5, after: 0.2 }]);
    expect(c.psi).toBeCloseTo((0.8 - 0.5) * Math.log(0.8 / 0.5) + (0.2 - 0.5) * Math.log(0.2 / 0.5), 12);
    expect(c.psiBasis).toBe("2 categories");
    expect(decileEdges(Float64Array.from(beforeValues))).toEqual([4, 7, 10, 13, 16, 19, 22, 25, 28]);
    expect(populationStabilityIndex([1, 1], [1, 1])).toBe(0);
  });

  it("reads TSV, JSON Lines and JSON arrays, and compares across formats by value", async () => {
    const tsv = file("tsv", "id\tname\tscore\n1\tann\t1.5\n2\tbob\t2.5\n");
    const jsonl = file("jsonl", '{"id":1,"name":"ann","score":1.5}\n\n{"id":2,"name":"bob","score":3.5}\n{"id":3,"name":"cy","score":3}\n');
    const json = file("json", '[\n  {"id": 1, "name": "ann", "score": 1.5},\n  {"id": 2, "name": "bob", "score": 3.5, "tags": ["x", "]"]},\n  {"id": 3, "name": "cy", "score": 3}\n]\n');
    const tsvToJsonl = await diffDataRows(tsv, jsonl, { key: "id", workers: false });
    expect(tsvToJsonl.rows).toEqual({ added: 1, removed: 0, changed: 1, unchanged: 1 });
    expect(tsvToJsonl.examples.added).toEqual([{ line: 4, row: { id: "3", name: "cy", score: "3" } }]);
    const jsonlToJson = await diffDataRows(jsonl, json, { key: "id", workers: false });
    expect(jsonlToJson.rows).toEqual({ added: 0, removed: 0, changed: 0, unchanged: 3 });
    expect(jsonlToJson.schema.added).toEqual(["tags"]);
    expect(jsonlToJson.after.format).toBe("json");
    expect(jsonlToJson.after.rows).toBe(3);
  });

  it("the same answer from worker threads as from this thread", async () => {
    const before = file("csv", BEFORE_CSV);
    const after = file("csv", AFTER_CSV);
    const here = await diffDataRows(before, after, { key: "id", workers: false });
    const threaded = await diffDataRows(before, after, { key: "id", workers: true });
    expect(threaded).toEqual(here);
  });

  it("joins in hash partitions when the rows would not fit the memory budget, with the same counts", async () => {
    const lines = (rows: number[], tweak: (id: number) => string) => `id,v\n${rows.map((id) => `${id},${tweak(id)}`).join("\n")}\n`;
    const ids = Array.from({ length: 3000 }, (_, i) => i + 1);
    const before = file("csv", lines(ids, (id) => `v${id}`));
    const after = file("csv", lines([...ids.filter((id) => id % 10 !== 3), 5001, 5002], (id) => (id % 7 === 0 ? `w${id}` : `v${id}`)));
    const whole = await diffDataRows(before, after, { key: "id", workers: false });
    const parts = await diffDataRows(before, after, { key: "id", workers: false, memoryBudgetBytes: 120_000 });
    expect(whole.partitions).toBe(1);
    expect(parts.partitions).toBeGreaterThan(2);
    expect(parts.rows).toEqual(whole.rows);
    expect(whole.rows).toEqual({ added: 2, removed: 300, changed: 386, unchanged: 2314 });
    expect(parts.before.rows).toBe(3000);
    expect(parts.drift).toEqual(whole.drift);
    const unkeyed = await diffDataRows(before, after, { workers: false, memoryBudgetBytes: 120_000 });
    expect(unkeyed.rows).toEqual({ added: 388, removed: 686, changed: 0, unchanged: 2314 });
  });

  it("names the file and line of malformed input, and says what to do", async () => {
    const ragged = file("csv", "a,b\n1,2\n3\n");
    await expect(diffDataRows(ragged, ragged, { workers: false })).rejects.toThrow(new RegExp(`${ragged.replace(/[.]/g, "\\.")}, line 3: 1 field\\(s\\), but the header names 2 column\\(s\\)`));
    const unclosed = file("csv", 'a,b\n1,"2\n3,4\n');
    await expect(diffDataRows(unclosed, unclosed, { workers: false })).rejects.toThrow(/line 2: a quoted field is never closed/);
    const badJsonl = file("jsonl", '{"a":1}\n{"a":2,}\n');
    const error = await diffDataRows(badJsonl, badJsonl, { workers: false }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TableFormatError);
    expect((error as TableFormatError).line).toBe(2);
    expect((error as TableFormatError).message).toContain(`${badJsonl}, line 2: not valid JSON`);
    const notArray = file("json", '{"a": 1}');
    await expect(diffDataRows(notArray, notArray, { workers: false })).rejects.toThrow(/must be an array of row objects/);
    const good = file("csv", "a\n1\n");
    await expect(diffDataRows(good, good, { key: "nope", workers: false })).rejects.toThrow(/there is no column "nope" to key rows by \(columns: a\)/);
    await expect(diffDataRows(file("parquet", "x"), good)).rejects.toThrow(/use \.csv, \.tsv, \.jsonl/);
  });
});
