import { describe, expect, it } from "vitest";
import { memoizeTranspile } from "../../../kernel/engine/transpile-cache.js";
import { createCellCompiler } from "../../../kernel/engine/typescript.js";

describe("transpile cache", () => {
  it("answers a repeated conversion without running the transpiler again, and converts new text", () => {
    const inputs: string[] = [];
    const transpile = memoizeTranspile((input) => {
      inputs.push(input);
      return { outputText: `converted:${input}` };
    });
    const options = { fileName: "custom.js", compilerOptions: { module: 1 } };
    expect(transpile("a", options).outputText).toBe("converted:a");
    expect(transpile("a", options).outputText).toBe("converted:a");
    expect(transpile("b", options).outputText).toBe("converted:b");
    expect(transpile("a", { ...options, compilerOptions: { module: 99 } }).outputText).toBe("converted:a");
    expect(inputs).toEqual(["a", "b", "a"]);
  });

  it("a re-run cell emits the same CommonJS as its first run, and an edited cell its own", () => {
    const compiler = createCellCompiler(process.cwd());
    try {
      const first = compiler.convert("", "let n = 1; n = 2; n * 3", "__h");
      const again = compiler.convert("", "let n = 1; n = 2; n * 3", "__h");
      const edited = compiler.convert("", "let n = 1; n = 5; n * 3", "__h");
      expect(first.output).toContain("exports.n = n = 2;");
      expect(again.output).toBe(first.output);
      expect(edited.output).toContain("exports.n = n = 5;");
    } finally {
      compiler.close();
    }
  });
});
