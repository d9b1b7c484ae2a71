// Runtime tracebacks in the cell's own line numbers: the compiled JavaScript is aligned with the TypeScript the
// user wrote (types, interfaces and imports change the line count; tslab gives no source map).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { alignLines } from "../../../kernel/engine/line-map.js";
import { createHarness } from "./harness.js";

async function traceback(cells: string[]): Promise<string[]> {
  const h = createHarness(mkdtempSync(join(tmpdir(), "labnote-lines-")));
  let last;
  for (const cell of cells) last = await h.run(cell);
  if (last!.outcome.status !== "error") throw new Error(`the last cell did not fail: ${JSON.stringify(last!.outcome)}`);
  return last!.outcome.traceback;
}

describe("runtime error lines", () => {
  it("point at the cell's line after interfaces, type-only lines and an import", async () => {
    const lines = await traceback([
      [
        'import * as path from "node:path";',
        "interface Point {",
        "  x: number;",
        "  y: number;",
        "}",
        "type Pair = [Point, Point];",
        "const origin: Point = { x: 0, y: 0 };",
        "const name = path.basename('/a/b.txt');",
        "(undefined as unknown as { field: number }).field;",
      ].join("\n"),
    ]);
    expect(lines[0]).toMatch(/^TypeError: Cannot read properties of undefined/);
    expect(lines[1]).toMatch(/at cell\[1\], line 9$/);
    expect(lines[2]).toBe("        (undefined as unknown as { field: number }).field;");
    expect(lines).toHaveLength(3);
  });

  it("follow a call into a function an earlier cell defined, with magic lines counted", async () => {
    const lines = await traceback([
      "function check(value: number): number {\n  // too large values are refused\n  if (value > 10) throw new RangeError(`too large: ${value}`);\n  return value;\n}",
      "%env LABNOTE_LINE_TEST=1\nconst a: number = 7;\nlet b = 4;\ncheck(a + b);",
    ]);
    expect(lines).toEqual([
      "RangeError: too large: 11",
      "    at check (cell[1], line 3)",
      "        if (value > 10) throw new RangeError(`too large: ${value}`);",
      "    at cell[2], line 4",
      "        check(a + b);",
    ]);
  });

  it("align monotonically and give unmatched generated lines the next statement's line", () => {
    const source = ["interface A { x: number }", "const a: A = { x: 1 };", "", "console.log(a.x);"].join("\n");
    const generated = ['"use strict";', "Object.defineProperty(exports, \"__esModule\", { value: true });", "const a = { x: 1 };", "console.log(a.x);"].join("\n");
    const map = alignLines(source, generated);
    expect(Array.from(map.slice(1))).toEqual([1, 1, 1, 3]);
  });
});
