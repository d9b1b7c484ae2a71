// A cell converted again with the same text and declarations, through the same program, is answered from the last
// conversion (typescript.ts); anything that changes the program (a conversion or completion of other text, a global
// added or removed, the @types packages joining) makes the next conversion check the cell again.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createCellCompiler, type CellCompiler } from "../../../kernel/engine/typescript.js";

const HANDOFF = "__labnote_cell__";
const project = () => mkdtempSync(join(tmpdir(), "labnote-conversion-memo-"));
const messages = (compiler: CellCompiler, decl: string, src: string) => compiler.convert(decl, src, HANDOFF).diagnostics.map((d) => d.messageText);

describe("the last conversion, reused", () => {
  const compilers: CellCompiler[] = [];
  afterAll(() => compilers.forEach((compiler) => compiler.close()));

  it("answers the same cell again through the same program, and nothing else", () => {
    const compiler = createCellCompiler(project());
    compilers.push(compiler);
    const first = compiler.convert("", "1 + 1", HANDOFF);
    const reused = compiler.reusedConversions;
    expect(compiler.convert("", "1 + 1", HANDOFF)).toEqual(first);
    expect(compiler.reusedConversions).toBe(reused + 1);
    // Another declarations text, another handoff name, another cell: converted.
    const declared = compiler.convert("", "let kept = 3", HANDOFF);
    expect(compiler.convert(declared.declOutput!, "1 + 1", HANDOFF).output).toEqual(first.output);
    expect(compiler.convert(declared.declOutput!, "let kept = 3", "other_handoff").output).toContain("other_handoff.bindLocal");
    expect(compiler.reusedConversions).toBe(reused + 1);
    // A completion of other text built a program of its own: the same cell is checked again.
    const before = compiler.convert("", "2 + 2", HANDOFF);
    compiler.complete("", "Math.fl", 7);
    expect(compiler.convert("", "2 + 2", HANDOFF)).toEqual(before);
    expect(compiler.reusedConversions).toBe(reused + 1);
    // A type error is reused as it was.
    const error = compiler.convert("", "const s: string = 1;", HANDOFF);
    expect(error.diagnostics.length).toBe(1);
    expect(compiler.convert("", "const s: string = 1;", HANDOFF)).toEqual(error);
    expect(compiler.reusedConversions).toBe(reused + 2);
  });

  it("checks the cell again after a global was added or removed", () => {
    const compiler = createCellCompiler(project());
    compilers.push(compiler);
    expect(messages(compiler, "", "trackedRun.id.length")).toEqual(["Cannot find name 'trackedRun'."]);
    compiler.setExtraGlobals({ trackedRun: "{ id: string }" });
    expect(messages(compiler, "", "trackedRun.id.length")).toEqual([]);
    compiler.setExtraGlobals({});
    expect(messages(compiler, "", "trackedRun.id.length")).toEqual(["Cannot find name 'trackedRun'."]);
  });

  it("checks the cell again once the @types packages joined (a program update waiting, not built yet)", () => {
    const compiler = createCellCompiler(project(), { typeRoots: false });
    compilers.push(compiler);
    expect(messages(compiler, "", "process.version")).toEqual([expect.stringMatching(/^Cannot find name 'process'/)]);
    const reused = compiler.reusedConversions;
    compiler.includeTypeRoots();
    expect(messages(compiler, "", "process.version")).toEqual([]);
    expect(compiler.reusedConversions).toBe(reused);
  });
});
