// %version's data features through a real Jupyter client (nbclient on the labnote kernel), each in its own project
// repository: the row-level diff of two versions' data, forget --scrub reaching every copy, and diverged histories
// settled with %version resolve.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook, type NotebookJSON } from "../helpers/jupyter.js";

type Output = ReturnType<typeof allOutputs>[number];

function project(name: string): string {
  const dir = join(ARTIFACTS, `${name}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(join(dir, "data"), { recursive: true });
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: dir });
  return dir;
}

/** The outputs of the cell whose source is `source` exactly. */
function outputsOf(nb: NotebookJSON, prefix: string): Output[] {
  const index = nb.cells.findIndex((cell) => [cell.source].flat().join("") === prefix);
  if (index === -1) throw new Error(`no cell starts with ${prefix}`);
  return allOutputs(nb).filter((output) => output.cell === index);
}

function resultOf(nb: NotebookJSON, prefix: string): Record<string, unknown> {
  const result = outputsOf(nb, prefix).find((output) => output.output_type === "execute_result");
  if (!result) throw new Error(`cell ${prefix} has no result: ${JSON.stringify(outputsOf(nb, prefix)).slice(0, 2000)}`);
  return result.data as Record<string, unknown>;
}

const write = (path: string, text: string) => `import { writeFileSync as w${path.length} } from "node:fs";\nw${path.length}(${JSON.stringify(path)}, ${JSON.stringify(text)});`;

describe("%version diff --rows", () => {
  it("diffs two versions' table data by key through the kernel: counts, examples, schema, drift; bad input is a clear error", async () => {
    const dir = project("version-rows");
    const before = `id,name,score,city\n${Array.from({ length: 40 }, (_, i) => `${i + 1},n${i + 1},${(i % 10) + 0.5},${i % 2 ? "oslo" : "rome"}`).join("\n")}\n`;
    const afterRows = Array.from({ length: 40 }, (_, i) => i + 1)
      .filter((id) => id !== 7)
      .map((id) => `${id},n${id},${id === 12 ? 99.5 : ((id - 1) % 10) + 0.5},${id % 3 ? "oslo" : "rome"},x`);
    const after = `id,name,score,city,extra\n${afterRows.join("\n")}\n41,n41,1.5,oslo,y\n`;
    const notebook = join(dir, "rows.ipynb");
    writeNotebook(notebook, [
      write("data/table.csv", before),
      "%version data data/table.csv",
      '%version commit -m "first table"',
      write("data/table.csv", after),
      "%version data data/table.csv",
      '%version commit -m "second table"',
      "%version diff @~1 @ --rows --key id",
      "%version diff @~1 @ --rows",
      write("data/broken.csv", "id,name\n1,a\n2,b,c\n"),
      "%version diff data/table.csv data/broken.csv --rows",
    ]);
    const nb = await executeNotebook(notebook, { cwd: dir, timeoutSec: 240, allowErrors: true, env: { LABNOTE_AUTOSNAPSHOT: "on" } });
    const keyed = resultOf(nb, "%version diff @~1 @ --rows --key id");
    const data = keyed["application/json"] as {
      key: string;
      files: { path: string; rows: Record<string, number>; examples: { added: { row: Record<string, string> }[]; removed: { row: Record<string, string> }[]; changed: { key: string; columns: { column: string; before: string; after: string }[] }[] }; schema: { added: string[] }; drift: { column: string; psi: number | null; categories?: { value: string; before: number; after: number }[] }[] }[];
    };
    expect(data.key).toBe("id");
    expect(data.files).toHaveLength(1);
    const file = data.files[0]!;
    expect(file.path).toBe("data/table.csv");
    // 40 rows → 40 rows: 7 removed, 41 added, 12's score changed; the city of many rows changed too.
    expect(file.rows.added).toBe(1);
    expect(file.rows.removed).toBe(1);
    expect(file.examples.added[0]!.row).toEqual({ id: "41", name: "n41", score: "1.5", city: "oslo", extra: "y" });
    expect(file.examples.removed[0]!.row.id).toBe("7");
    expect(file.rows.changed + file.rows.unchanged).toBe(39);
    expect(file.examples.changed.length).toBeGreaterThan(0);
    expect(file.schema.added).toEqual(["extra"]);
    const city = file.drift.find((column) => column.column === "city")!;
    expect(city.categories!.find((share) => share.value === "rome")!.before).toBeCloseTo(0.5, 12);
    expect(city.psi).toBeGreaterThan(0);
    expect(String(keyed["text/html"])).toContain("<table>");
    expect(String(keyed["text/plain"])).toContain("rows: +1 added, -1 removed");
    const unkeyed = resultOf(nb, "%version diff @~1 @ --rows");
    expect((unkeyed["application/json"] as { key: null; files: { rows: { changed: number } }[] }).files[0]!.rows.changed).toBe(0);
    const error = outputsOf(nb, "%version diff data/table.csv data/broken.csv --rows").find((output) => output.output_type === "error")!;
    expect(String(error.evalue)).toContain("data/broken.csv, line 3: 3 field(s), but the header names 2 column(s)");
  });
});
