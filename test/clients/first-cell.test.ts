// The first cell through a real client, sent the moment the kernel is up (nbclient does that): it is type-checked
// before the kernel has parsed the @types packages, and its type errors are still error outputs with line and column.
import { mkdtempSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook } from "../helpers/jupyter.js";

/** nbformat may store text as a list of lines. */
function joined(value: unknown): string {
  return Array.isArray(value) ? value.join("") : String(value);
}

/** The cell's outputs as [type, text] pairs: stream text, the execute_result's text/plain. */
function shown(outputs: ReturnType<typeof allOutputs>, cell: number): [string, string][] {
  return outputs
    .filter((o) => o.cell === cell && (o.output_type === "stream" || o.output_type === "execute_result"))
    .map((o) => [o.output_type, joined(o.output_type === "stream" ? o.text : (o.data as Record<string, unknown>)["text/plain"])]);
}

function project(): string {
  return mkdtempSync(join(ARTIFACTS, "first-cell-"));
}

describe("the first cell after start-up, through nbclient", () => {
  it("with a type error gives an error output with line and column, and the next cells run", async () => {
    const dir = project();
    writeNotebook(join(dir, "typo.ipynb"), ["const ok = 1;\nconst label: string = ok;", "console.log('after');\n2 * 21"]);
    const nb = await executeNotebook(join(dir, "typo.ipynb"), { allowErrors: true, timeoutSec: 240 });
    const outputs = allOutputs(nb);
    const error = outputs.find((o) => o.output_type === "error");
    expect(error).toMatchObject({ cell: 0, ename: "TypeError" });
    expect(String(error?.evalue)).toContain("line 2, column 7");
    expect(String(error?.evalue)).toContain("not assignable to type 'string'");
    expect(shown(outputs, 1)).toEqual([
      ["stream", "after\n"],
      ["execute_result", "42"],
    ]);
  });

  it("gives its result, and later cells see its declarations with Node's types known", async () => {
    const dir = project();
    writeNotebook(join(dir, "clean.ipynb"), [
      "const width: number = 21;\nwidth * 2",
      "console.log(process.version.startsWith('v'));\nconst n: number = width + 1;\nn",
    ]);
    const nb = await executeNotebook(join(dir, "clean.ipynb"), { timeoutSec: 240 });
    const outputs = allOutputs(nb);
    expect(shown(outputs, 0)).toEqual([["execute_result", "42"]]);
    expect(shown(outputs, 1)).toEqual([
      ["stream", "true\n"],
      ["execute_result", "22"],
    ]);
  });
});
