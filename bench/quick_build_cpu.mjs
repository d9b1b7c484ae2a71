// CPU time of the kernel's first TypeScript steps, in-process (process.cpuUsage, all threads), from the built dist/:
// loading TypeScript through the V8 code cache, building the quick program (createCellCompiler without the @types
// packages), the first conversion, and with FULL=1 adding the @types packages and converting again.
// Usage: node bench/quick_build_cpu.mjs            (LABNOTE_QUICK_LIB=off node bench/quick_build_cpu.mjs for the JSDoc-kept lib)
// Run it a few times, alternating the two: the first run after a TypeScript or Node change writes the code cache.
import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const cpu = () => {
  const used = process.cpuUsage();
  return (used.user + used.system) / 1000;
};
let last = cpu();
const steps = [];
const lap = (label) => {
  const now = cpu();
  steps.push(`${label} ${(now - last).toFixed(0)}`);
  last = now;
};
const { requireWithCodeCache, defaultCodeCacheDir } = await import(join(root, "dist/kernel/engine/code-cache.js"));
const { createCellCompiler } = await import(join(root, "dist/kernel/engine/typescript.js"));
lap("imports");
const tslabRequire = createRequire(join(root, "node_modules/tslab/dist/main.js"));
const typescript = requireWithCodeCache(tslabRequire, "@tslab/typescript-for-tslab", defaultCodeCacheDir());
lap(`typescript load (code cache ${typescript.status})`);
const compiler = createCellCompiler(mkdtempSync(join(tmpdir(), "labnote-quick-build-")), { typeRoots: false });
lap("quick build");
compiler.convert("", "0", "__labnote_cell__");
lap("first convert");
if (process.env.FULL) {
  compiler.includeTypeRoots();
  compiler.convert("", "1", "__labnote_cell__");
  lap("full build");
}
console.log(`LABNOTE_QUICK_LIB=${process.env.LABNOTE_QUICK_LIB ?? "on"}: ms CPU: ${steps.join(", ")}`);
if (typescript.status !== "used") typescript.save();
process.exit(0);
