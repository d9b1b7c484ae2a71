// The quick program (before the @types packages join) reads TypeScript's lib files with their JSDoc blanked out
// (type-roots.ts): every token stays where it was, and once the @types packages are included the lib files are read
// again with their documentation, so hovers show it as before.
import { readdirSync, readFileSync, mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../../kernel/engine/package-root.js";
import { blankJsDoc } from "../../../kernel/engine/type-roots.js";
import { createCellCompiler, quickInfoText } from "../../../kernel/engine/typescript.js";

const HANDOFF = "__labnote_cell__";
const tslabRequire = createRequire(join(PACKAGE_ROOT, "node_modules", "tslab", "dist", "main.js"));
// The TypeScript tslab compiles with, and its lib files.
const tsPath = tslabRequire.resolve("@tslab/typescript-for-tslab");
const ts = tslabRequire("@tslab/typescript-for-tslab") as typeof import("typescript");
const libDir = dirname(tsPath);

/** Every node of the parsed file (JSDoc aside) as kind@pos-end, and the parse errors. */
function syntax(name: string, text: string): string[] {
  const file = ts.createSourceFile(name, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  const out = (file as unknown as { parseDiagnostics: ts.Diagnostic[] }).parseDiagnostics.map((d) => `error ${d.start}: ${String(d.messageText)}`);
  const visit = (node: ts.Node): void => {
    out.push(`${node.kind}@${node.pos}-${node.end}`);
    ts.forEachChild(node, visit);
  };
  visit(file);
  return out;
}

describe("the quick program's lib files", () => {
  it("parse to the same syntax, node for node, when their JSDoc is blanked", () => {
    // The ECMAScript libs (the kernel's program never includes the DOM's).
    const files = readdirSync(libDir).filter((name) => /^lib\..*d\.ts$/.test(name) && !/dom|webworker|scripthost/.test(name));
    expect(files.length).toBeGreaterThan(50);
    let blanked = 0;
    for (const name of files) {
      const text = readFileSync(join(libDir, name), "utf8");
      const quick = blankJsDoc(text);
      expect(quick.length, name).toBe(text.length);
      expect(quick.split("\n").length, name).toBe(text.split("\n").length);
      expect(syntax(name, quick), name).toEqual(syntax(name, text));
      if (quick !== text) blanked++;
      expect((quick.match(/@deprecated/g) ?? []).length, name).toBe((text.match(/@deprecated/g) ?? []).length);
    }
    expect(blanked).toBeGreaterThan(40);
    expect(blankJsDoc("/** doc */\nconst a = 1; /**/ const b = 2;")).toBe("          \nconst a = 1; /**/ const b = 2;");
  });

  it("are read without JSDoc (but @deprecated) until the first hover, then with it", () => {
    // Counted on ts.sys, below the kernel's own patch of it (installed by the first compiler), which stays in place.
    const reads: string[] = [];
    let counting = true;
    const readFile = ts.sys.readFile;
    ts.sys.readFile = (path, encoding) => {
      if (counting && path.endsWith("/lib.es5.d.ts")) reads.push(path);
      return readFile(path, encoding);
    };
    const compiler = createCellCompiler(mkdtempSync(join(tmpdir(), "labnote-quick-lib-")), { typeRoots: false });
    try {
      expect(compiler.convert("", "Math.floor(2.5)", HANDOFF).diagnostics).toEqual([]);
      compiler.includeTypeRoots();
      expect(compiler.convert("", "process.version.length", HANDOFF).diagnostics).toEqual([]);
      // A deprecated member is still known as deprecated: completions put it last.
      const candidates = compiler.complete("", "'abc'.subs", 10).candidates;
      expect(candidates.indexOf("substring")).toBeLessThan(candidates.indexOf("substr"));
      expect(reads).toHaveLength(1);
      // Swapped cells after the full build, then the first hover: the documentation is there.
      for (let i = 0; i < 3; i++) expect(compiler.convert("", `${i} + 1`, HANDOFF).diagnostics).toEqual([]);
      const info = compiler.inspect("", "Math.floor(2.5)", 7);
      expect(quickInfoText(info!)).toContain("floor(x: number): number");
      expect(quickInfoText(info!)).toContain("Returns the greatest integer less than or equal to its numeric argument.");
      expect(reads).toHaveLength(2);
      expect(compiler.convert("", "Math.floor(3.5)", HANDOFF).diagnostics).toEqual([]);
      expect(quickInfoText(compiler.inspect("", "Math.ceil(2.5)", 7)!)).toContain("Returns the smallest integer greater than or equal to its numeric argument.");
      expect(reads).toHaveLength(2);
      expect(candidates).toContain("substr");
    } finally {
      counting = false;
      compiler.close();
    }
  });

  it("keep their JSDoc with LABNOTE_QUICK_LIB=off", () => {
    process.env.LABNOTE_QUICK_LIB = "off";
    const compiler = createCellCompiler(mkdtempSync(join(tmpdir(), "labnote-quick-lib-")), { typeRoots: false });
    try {
      compiler.convert("", "Math.floor(2.5)", HANDOFF);
      expect(quickInfoText(compiler.inspect("", "Math.floor(2.5)", 7)!)).toContain("greatest integer");
    } finally {
      delete process.env.LABNOTE_QUICK_LIB;
      compiler.close();
    }
  });
});
