// How a cell's imports are loaded. tslab emits CommonJS (`require("x")`), which cannot load ESM-only packages
// (an `exports` map with only an `import` condition). Before a cell runs we look at what it requires: CommonJS
// stays a synchronous require from the notebook directory; ESM packages are loaded first with a real import()
// resolved from the notebook directory, and `require` hands back the loaded namespace. `labnote` always means
// this package (its dist/index.js), wherever the notebook lives. Relative .ts files are tslab's side outputs.
import { existsSync } from "node:fs";
import Module, { builtinModules, createRequire } from "node:module";
import { dirname, extname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import vm from "node:vm";
import { PACKAGE_ROOT } from "./package-root.js";
import { readPackageJson } from "./typescript.js";

export type CellRequire = (specifier: string) => unknown;

export interface ModuleLoader {
  /** Loads the ESM imports of emitted cell code ahead of running it (throws a clear error when one is missing). */
  prepare(emittedCode: string): Promise<void>;
  /** The `require` the emitted cell code calls. */
  readonly require: CellRequire;
  /** New or changed local .ts modules compiled by tslab alongside a cell. */
  updateSideOutputs(outputs: { path: string; data: string }[]): void;
}

const REQUIRE_CALL = /\brequire\("((?:[^"\\]|\\.)+)"\)/g;
const builtins = new Set(builtinModules);

function isBare(specifier: string): boolean {
  return !specifier.startsWith(".") && !specifier.startsWith("/") && !specifier.startsWith("node:") && !builtins.has(specifier);
}

function isEsmFile(file: string): boolean {
  if (file.endsWith(".mjs")) return true;
  if (file.endsWith(".cjs") || !file.endsWith(".js")) return false;
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    const pkg = readPackageJson(dir);
    if (pkg) return pkg.type === "module";
    if (dirname(dir) === dir) return false;
  }
}

/** ESM namespace → an object the emitted `__importDefault`/`__importStar` helpers read correctly. */
function asInteropModule(namespace: Record<string, unknown>): Record<string, unknown> {
  return { __esModule: true, ...namespace };
}

function labnoteEntry(specifier: string): string {
  const subpath = specifier === "labnote" ? "index" : specifier.slice("labnote/".length).replace(/\.js$/, "");
  const built = join(PACKAGE_ROOT, "dist", `${subpath}.js`);
  if (existsSync(built)) return built;
  const source = join(PACKAGE_ROOT, `${subpath}.ts`);
  if (existsSync(source) && process.env.VITEST) return source;
  throw new Error(`Cannot import "${specifier}": ${built} is missing. Build labnote first (npm run build in ${PACKAGE_ROOT}).`);
}

let experimentalWarningMuted = false;
/** vm's USE_MAIN_CONTEXT_DEFAULT_LOADER is stable in use but still prints an ExperimentalWarning on Node 20. */
function muteLoaderWarning(): void {
  if (experimentalWarningMuted) return;
  experimentalWarningMuted = true;
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: string | Error, ...rest: unknown[]) => {
    const text = typeof warning === "string" ? warning : warning.message;
    if (text.includes("USE_MAIN_CONTEXT_DEFAULT_LOADER")) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}

export function createModuleLoader(projectDir: string): ModuleLoader {
  const projectRequire = createRequire(join(projectDir, "__labnote_cell__.js"));
  muteLoaderWarning();
  // import() resolved from the notebook directory, as a file there would resolve it.
  const importFromProject = vm.runInThisContext("(specifier) => import(specifier)", {
    filename: join(projectDir, "__labnote_cell__.js"),
    importModuleDynamically: vm.constants.USE_MAIN_CONTEXT_DEFAULT_LOADER,
  }) as (specifier: string) => Promise<Record<string, unknown>>;
  const preloaded = new Map<string, Record<string, unknown>>();
  const sideOutputs = new Map<string, string>();
  const sideModules = new Map<string, Module>();

  const loadEsm = async (specifier: string): Promise<void> => {
    if (preloaded.has(specifier)) return;
    let target: string | undefined;
    if (specifier === "labnote" || specifier.startsWith("labnote/")) {
      let ownCopy = false;
      try {
        projectRequire.resolve(`${specifier.split("/")[0]}/package.json`);
        ownCopy = true;
      } catch {
        ownCopy = false;
      }
      if (!ownCopy) target = pathToFileURL(labnoteEntry(specifier)).href;
    }
    if (target === undefined) {
      try {
        const file = projectRequire.resolve(specifier);
        if (!isEsmFile(file)) return; // CommonJS: plain require at run time
        target = pathToFileURL(file).href;
      } catch {
        target = specifier; // not reachable through require conditions: let import() resolve it
      }
    }
    try {
      const namespace = target === specifier ? await importFromProject(specifier) : ((await import(target)) as Record<string, unknown>);
      preloaded.set(specifier, asInteropModule(namespace));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") {
        throw new Error(`Cannot find module "${specifier}" from ${projectDir}: install it there (npm install ${specifier}) or fix the name.`);
      }
      throw error;
    }
  };

  const requireSideOutput = (file: string, parent: NodeJS.Module | undefined): unknown => {
    const cached = sideModules.get(file);
    if (cached) return cached.exports;
    const code = sideOutputs.get(file);
    if (code === undefined) return undefined;
    const mod = new Module(file, parent);
    mod.filename = file;
    mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
    const inner = mod.require.bind(mod);
    mod.require = makeRequire(dirname(file), inner) as NodeJS.Require;
    (mod as unknown as { _compile(code: string, file: string): void })._compile(code, file);
    sideModules.set(file, mod);
    return mod.exports;
  };

  function makeRequire(baseDir: string, fallback: (specifier: string) => unknown): CellRequire {
    return (specifier: string) => {
      const loaded = preloaded.get(specifier);
      if (loaded) return loaded;
      if (specifier.startsWith(".")) {
        let file = resolve(baseDir, specifier);
        if (extname(file) === "") file += ".js";
        const local = requireSideOutput(file, undefined);
        if (local !== undefined) return local;
      }
      return fallback(specifier);
    };
  }

  return {
    async prepare(emittedCode) {
      const specifiers = new Set<string>();
      for (const match of emittedCode.matchAll(REQUIRE_CALL)) {
        const specifier = JSON.parse(`"${match[1]}"`) as string;
        if (isBare(specifier)) specifiers.add(specifier);
      }
      for (const code of sideOutputs.values()) {
        for (const match of code.matchAll(REQUIRE_CALL)) {
          const specifier = JSON.parse(`"${match[1]}"`) as string;
          if (isBare(specifier)) specifiers.add(specifier);
        }
      }
      await Promise.all([...specifiers].map(loadEsm));
    },
    require: makeRequire(projectDir, (specifier) => projectRequire(specifier)),
    updateSideOutputs(outputs) {
      for (const output of outputs) {
        sideModules.delete(output.path);
        sideOutputs.set(output.path, output.data);
      }
    },
  };
}
