import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { memoizeTranspile, swappingTranspile, transpileCacheStats, type TranspileTypeScript } from "../../../kernel/engine/transpile-cache.js";
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

  it("converting through one reused program gives what transpileModule gives, text after text", () => {
    // A TypeScript of its own: the kernel's (once a compiler exists) answers transpileModule through this very cache.
    const requireFromTslab = createRequire(join(process.cwd(), "node_modules", "tslab", "dist", "main.js"));
    const file = requireFromTslab.resolve("@tslab/typescript-for-tslab");
    const shared = requireFromTslab.cache[file];
    delete requireFromTslab.cache[file];
    const ts = requireFromTslab("@tslab/typescript-for-tslab") as TranspileTypeScript;
    if (shared) requireFromTslab.cache[file] = shared;
    else delete requireFromTslab.cache[file];
    // tslab's ESM→CommonJS options, and the ESM its cells emit: the last expression, imports of every form, exports
    // of earlier names, top-level await, classes, enums, generators, destructuring, an error the parser recovers from.
    const options = { fileName: "custom.js", compilerOptions: { module: 1, esModuleInterop: true, target: 9, newLine: 1, noImplicitUseStrict: true } };
    const inputs = [
      "export {};\nexport const tsLastExpr = 1 + 1;\n",
      "export {};\nconst width = 2 ** 10;\nexport const tsLastExpr = width / 4;\nexport { width };\n",
      "export {};\nexport const tsLastExpr = exports.width * 2;\n",
      "import { join } from 'node:path';\nexport const tsLastExpr = join('a', 'b');\nexport { join };\n",
      "import * as fs from 'fs';\nimport path, { sep } from 'path';\nexport const tsLastExpr = [fs.existsSync('.'), path.join('a'), sep];\nexport { fs, path, sep };\n",
      "import def from './lib/helper';\nimport type { X } from './x';\nexport const tsLastExpr = def;\n",
      "export {};\nconst later = await new Promise((resolve) => setTimeout(() => resolve(3), 1));\nexport const tsLastExpr = later;\nexport { later };\n",
      "export {};\nclass Point {\n    x;\n    y;\n    constructor(x, y) { this.x = x; this.y = y; }\n    norm() { return Math.hypot(this.x, this.y); }\n}\nexport const tsLastExpr = new Point(3, 4).norm();\nexport { Point };\n",
      "export {};\nvar Colour;\n(function (Colour) {\n    Colour[Colour[\"Red\"] = 0] = \"Red\";\n})(Colour || (Colour = {}));\nexport { Colour };\n",
      "export {};\nfunction* gen() { yield 1; yield* [2, 3]; }\nconst [a, ...rest] = [...gen()];\nlet { b = 2, ...others } = { c: 3 };\nexport { gen, a, rest, b, others };\n",
      "export default function named() { return 1; }\nexport * from './other';\nexport * as ns from './third';\n",
      "export {};\nconst m = await import('node:os');\nexport const tsLastExpr = m.EOL;\n",
      "export {};\nconst broken = (1 + ;\n",
      "export {};\nexport const tsLastExpr = 1 + 1;\n",
      "export {};\nlet counter = 0;\ncounter += exports.width;\nexport const tsLastExpr = counter;\nexport { counter };\n",
    ];
    const swapping = swappingTranspile(ts);
    const swappedBefore = transpileCacheStats().swapped;
    for (let round = 0; round < 3; round++) {
      for (const input of inputs) expect(swapping(input, options).outputText, input).toBe(ts.transpileModule(input, options).outputText);
    }
    // All but the first (which builds the program) went through the reused program.
    expect(transpileCacheStats().swapped - swappedBefore).toBe(3 * inputs.length - 1);
    // Other options are converted as asked, not with the reused program's.
    const esm = { fileName: "custom.js", compilerOptions: { module: 99, target: 9 } };
    expect(swapping(inputs[3]!, esm).outputText).toBe(ts.transpileModule(inputs[3]!, esm).outputText);
    expect(swapping(inputs[4]!, options).outputText).toBe(ts.transpileModule(inputs[4]!, options).outputText);
  });
});
