// The magic registry. Magics are discovered by directory: every magics/<dir>/command.js next to this file
// (command.ts when running from the sources under vitest) exports `magics: MagicSpec[]` and optionally
// `setup(kernel)`, called once when the engine starts. Nothing else needs registering.
import { existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { KernelServices, MagicModule, MagicSpec } from "./types.js";

export interface RegistryProblem {
  module: string;
  message: string;
}

export class MagicRegistry {
  private readonly magics = new Map<string, MagicSpec>();
  readonly problems: RegistryProblem[] = [];

  constructor(specs: MagicSpec[] = []) {
    for (const spec of specs) this.register(spec);
  }

  register(spec: MagicSpec): void {
    this.magics.set(spec.name, spec);
  }

  get(name: string): MagicSpec | undefined {
    return this.magics.get(name);
  }

  list(): MagicSpec[] {
    return [...this.magics.values()].sort((a, b) => a.name.localeCompare(b.name));
  }
}

let lastLoaded: MagicRegistry | undefined;

/** The magics of the registry the engine loaded last (what %lsmagic lists). */
export function registeredMagics(): MagicSpec[] {
  return lastLoaded?.list() ?? [];
}

/** The command modules found next to this file: magics/<dir>/command.(js|ts). */
export function findCommandModules(magicsDir: string = dirname(fileURLToPath(import.meta.url))): string[] {
  const fromSources = import.meta.url.endsWith(".ts");
  const files: string[] = [];
  for (const entry of readdirSync(magicsDir, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const candidates = fromSources ? ["command.ts", "command.js"] : ["command.js"];
    const found = candidates.map((name) => join(magicsDir, entry.name, name)).find((file) => existsSync(file));
    if (found) files.push(found);
  }
  return files.sort();
}

/**
 * Imports every command module, registers its magics and runs its setup. A module that fails to load is
 * reported (registry.problems, and on stderr by the engine) and skipped: one broken magic must not stop the kernel.
 */
export async function loadMagicRegistry(services: KernelServices, files: string[] = findCommandModules()): Promise<MagicRegistry> {
  const registry = new MagicRegistry();
  lastLoaded = registry;
  const modules = await Promise.all(
    files.map(async (file) => {
      try {
        return { file, module: (await import(pathToFileURL(file).href)) as Partial<MagicModule> };
      } catch (error) {
        registry.problems.push({ module: file, message: `could not load: ${(error as Error).message}` });
        return undefined;
      }
    }),
  );
  for (const loaded of modules) {
    if (!loaded) continue;
    const { file, module } = loaded;
    if (!Array.isArray(module.magics)) {
      registry.problems.push({ module: file, message: "exports no `magics` array" });
      continue;
    }
    for (const spec of module.magics) {
      if (registry.get(spec.name)) registry.problems.push({ module: file, message: `redefines %${spec.name}` });
      registry.register(spec);
    }
    if (module.setup) {
      try {
        await module.setup(services);
      } catch (error) {
        registry.problems.push({ module: file, message: `setup failed: ${(error as Error).message}` });
      }
    }
  }
  return registry;
}
