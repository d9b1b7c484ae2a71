// The engine through a real Jupyter client (nbclient on the installed labnote kernel): typed cells across
// cells, type errors with line and column, ESM-only and labnote imports from the notebook's directory,
// magics' results as data, Vega-Lite rendered to SVG, late output.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { allOutputs, executeNotebook, writeNotebook, type NotebookJSON } from "../helpers/jupyter.js";
import { chartSvgOf } from "../../kernel/display.js";

let notebook: NotebookJSON;
type Output = ReturnType<typeof allOutputs>[number];
const outputsOf = (cell: number): Output[] => allOutputs(notebook).filter((o) => o.cell === cell);
const text = (value: unknown): string => (Array.isArray(value) ? value.join("") : String(value));

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), "labnote-engine-client-"));
  const pkg = join(dir, "node_modules", "esm-only");
  mkdirSync(pkg, { recursive: true });
  writeFileSync(join(pkg, "package.json"), JSON.stringify({ name: "esm-only", type: "module", exports: { ".": { import: "./index.js" } } }));
  writeFileSync(join(pkg, "index.js"), "export const answer = 42;\n");
  writeNotebook(join(dir, "engine.ipynb"), [
    "const width: number = 20;\nwidth + 1",
    "const label: string = width;",
    "import { answer } from 'esm-only';\nanswer",
    "import { track } from 'labnote';\ntypeof track.start",
    "%lsmagic",
    "console.log('before');\nawait display.vegaLite({ mark: 'bar', data: { values: [{ a: 1 }] }, encoding: { x: { field: 'a', type: 'quantitative' } } });",
    "%timeit -n 2 -r 2 width * 2",
  ]);
  notebook = await executeNotebook(join(dir, "engine.ipynb"), { cwd: dir, allowErrors: true });
});

describe("engine through nbclient", () => {
  it("shows the last expression and keeps declarations across cells", () => {
    expect(outputsOf(0)).toMatchObject([{ output_type: "execute_result", data: { "text/plain": ["21"] } }]);
  });

  it("reports a type error against an earlier cell with line and column", () => {
    const [error] = outputsOf(1);
    expect(error).toMatchObject({ output_type: "error", ename: "TypeError" });
    expect(String(error.evalue)).toMatch(/^line 1, column 7: Type 'number' is not assignable to type 'string'/);
  });

  it("imports an ESM-only package from the notebook directory and labnote itself", () => {
    expect(outputsOf(2)).toMatchObject([{ output_type: "execute_result", data: { "text/plain": ["42"] } }]);
    expect(outputsOf(3)).toMatchObject([{ output_type: "execute_result", data: { "text/plain": ["'function'"] } }]);
  });

  it("returns magic results as application/json", () => {
    const [result] = outputsOf(4);
    const data = (result.data as Record<string, { line: string[] }>)["application/json"];
    expect(data.line).toEqual(expect.arrayContaining(["%lsmagic", "%time", "%timeit", "%env"]));
    const [timeit] = outputsOf(6);
    expect((timeit.data as Record<string, unknown>)["application/json"]).toMatchObject({ loops: 2, runs: 2, unit: "ms" });
  });

  it("streams console output and renders Vega-Lite to SVG in the kernel", () => {
    const [stream, chart] = outputsOf(5);
    expect(stream).toMatchObject({ output_type: "stream", name: "stdout" });
    expect(text(stream.text)).toBe("before\n");
    const data = chart.data as Record<string, unknown>;
    expect(data["application/vnd.vegalite.v5+json"]).toMatchObject({ mark: "bar" });
    expect(chartSvgOf(data)).toMatch(/^<svg/);
    expect(text(data["image/png"])).toMatch(/^iVBORw0KGgo/);
  });
});
