// In-process, wall time of a declaring cell's conversion with and without its declarations parsed ahead
// (CellCompiler.prepareDeclarations, as the kernel does between cells), from the built dist/: CHAINS alternating
// pairs of 40-cell chains `const xN = N` from empty declarations; p50 per chain, and the preparation's own p50.
// Usage: node bench/decl_prepare_inprocess.mjs [CHAINS=8]
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const { createCellCompiler } = await import(join(root, "dist/kernel/engine/typescript.js"));
const compiler = createCellCompiler(mkdtempSync(join(tmpdir(), "labnote-decl-prepare-")));
const HANDOFF = "__labnote_cell__";
compiler.convert("", "0", HANDOFF);
const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1].toFixed(2);
const chains = Number(process.argv[2] ?? 8);
for (let chain = 0; chain < chains; chain++) {
  for (const prepare of [false, true]) {
    let declarations = "";
    const convert = [];
    const prepared = [];
    for (let i = 0; i < 40; i++) {
      if (prepare) {
        const started = performance.now();
        compiler.prepareDeclarations(declarations);
        prepared.push(performance.now() - started);
      }
      const started = performance.now();
      const result = compiler.convert(declarations, `const x${chain}_${prepare}_${i} = ${i}`, HANDOFF);
      convert.push(performance.now() - started);
      declarations = result.declOutput ?? declarations;
    }
    console.log(`chain ${chain + 1} ${prepare ? "prepared" : "plain   "}: convert p50 ${median(convert)} ms${prepare ? `, preparing p50 ${median(prepared)} ms` : ""}`);
  }
}
console.log(`declarations taken prepared: ${compiler.swapStats.preparedDeclarations}`);
process.exit(0);
