// Prototype measured for docs/readme-parts/kernel-startup.md (not used by the kernel): a Node 20 user-land start-up
// snapshot holding TypeScript and the parsed, bound ES2022 lib files; the deserialised main checks one cell.
// Build: node --snapshot-blob snap.blob --build-snapshot docs/bench/startup-snapshot-prototype.cjs
// Run:   node --snapshot-blob snap.blob
const fs = require("fs"), path = require("path"), vm = require("vm");
const v8 = require("v8");
const tsFile = path.join(__dirname, "..", "..", "node_modules", "@tslab", "typescript-for-tslab", "lib", "typescript.js");
const src = fs.readFileSync(tsFile, "utf8");
const mod = { exports: {} };
const fn = vm.runInThisContext("(function (exports, require, module, __filename, __dirname) {" + src + "\n})", { filename: tsFile });
fn(mod.exports, require, mod, tsFile, path.dirname(tsFile));
const ts = mod.exports;
const libDir = path.dirname(tsFile);
const options = { target: ts.ScriptTarget.ES2022, lib: ["lib.es2022.d.ts"], noEmit: true };
// parse the lib files through a program once
const host = ts.createCompilerHost(options);
const files = new Map();
const orig = host.getSourceFile;
host.getSourceFile = (name, lv) => { if (files.has(name)) return files.get(name); const f = orig(name, lv); if (name.startsWith(libDir)) files.set(name, f); return f; };
host.fileExists = (f) => f === "/cell.ts" || fs.existsSync(f);
const readFile = host.readFile; host.readFile = (f) => f === "/cell.ts" ? "1 + 1" : readFile(f);
const p = ts.createProgram(["/cell.ts"], options, host);
ts.getPreEmitDiagnostics(p); // binds & checks (checker state stays on the program; discard)
globalThis.__snap = { ts, files };
v8.startupSnapshot.setDeserializeMainFunction(() => {
  const t0 = performance.now();
  const { ts, files } = globalThis.__snap;
  const host = ts.createCompilerHost(options);
  host.getSourceFile = (name, lv) => files.get(name) ?? (name === "/cell.ts" ? ts.createSourceFile(name, "const s: string = 1;", lv) : undefined);
  host.fileExists = (f) => f === "/cell.ts" || files.has(f);
  const p = ts.createProgram(["/cell.ts"], options, host);
  const d = ts.getPreEmitDiagnostics(p);
  console.log("snapshot: check", (performance.now() - t0).toFixed(0), "ms, since boot", performance.now().toFixed(0), "diags", d.length);
});
