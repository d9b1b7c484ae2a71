// The environment lock recorded with every version: what a reproduction must match.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { arch, cpus, platform, release } from "node:os";
import { dirname, join, resolve } from "node:path";
import { labnoteBuild } from "./labnote-build.js";

export interface EnvironmentLock {
  node: string;
  os: string;
  arch: string;
  cpu: string;
  cpuCount: number;
  /** sha256 of the nearest package-lock.json (walking up from the project), or null. */
  packageLock: string | null;
  packageLockPath: string | null;
  tfjsBackend: string | null;
  tfjsBackendReason: string | null;
  /** The %seed in force, or null when randomness was not fixed. */
  seed: number | null;
  /** labnote's own version and code digest (see labnote-build.ts); absent in versions made before it was recorded. */
  labnote?: string;
}

function nearestPackageLock(projectDir: string): string | null {
  let current = resolve(projectDir);
  for (;;) {
    const candidate = join(current, "package-lock.json");
    if (existsSync(candidate)) return candidate;
    const parent = dirname(current);
    if (parent === current) return null;
    current = parent;
  }
}

async function optional<T>(load: () => Promise<T>): Promise<T | undefined> {
  try {
    return await load();
  } catch {
    return undefined;
  }
}

// A variable specifier: magics/seed/state.ts belongs to another module and may not exist in every build.
const SEED_MODULE = "../seed/state.js";

/** The tfjs backend in use (only if tf was already loaded: recording never loads it). */
export async function currentBackend(): Promise<{ name: string; reason: string } | undefined> {
  const training = await optional(() => import("../../training/index.js"));
  return training?.backendInfo();
}

export async function currentSeedValue(): Promise<number | null> {
  const seed = await optional(() => import(SEED_MODULE) as Promise<{ currentSeed(): number | null }>);
  return seed?.currentSeed() ?? null;
}

export async function environmentLock(projectDir: string): Promise<EnvironmentLock> {
  const lockPath = nearestPackageLock(projectDir);
  const backend = await currentBackend();
  return {
    node: process.version,
    os: `${platform()} ${release()}`,
    arch: arch(),
    cpu: cpus()[0]?.model ?? "unknown",
    cpuCount: cpus().length,
    packageLock: lockPath ? createHash("sha256").update(readFileSync(lockPath)).digest("hex") : null,
    packageLockPath: lockPath,
    tfjsBackend: backend?.name ?? null,
    tfjsBackendReason: backend?.reason ?? null,
    seed: await currentSeedValue(),
    labnote: labnoteBuild(),
  };
}
