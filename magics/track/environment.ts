// What a run records about where it ran: Node, OS, CPU, GPU, tfjs version and backend, the project's lockfile hash
// and git HEAD. Everything here is asynchronous and best-effort: a missing tool leaves a field out, never fails.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readFile, stat } from "node:fs/promises";
import { arch, cpus, platform, release, totalmem } from "node:os";
import { join } from "node:path";
import { createRequire } from "node:module";
import type { JSONObject } from "../../kernel/types.js";

export function runCommand(command: string, args: string[], cwd: string, timeoutMs = 3000): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd, timeout: timeoutMs, windowsHide: true }, (error, stdout) => resolve(error ? undefined : stdout.trim()));
  });
}

let gpuQuery: Promise<string | undefined> | undefined;
/** GPU names and memory from nvidia-smi (once per process), or undefined when there is none. */
export function describeGpus(): Promise<string | undefined> {
  gpuQuery ??= runCommand("nvidia-smi", ["--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"], process.cwd());
  return gpuQuery;
}

const tfjsVersions = new Map<string, Promise<string | undefined>>();
/** The tfjs version resolvable from the project (memoised: the loaded module does not change within a process). */
function tfjsVersion(projectDir: string): Promise<string | undefined> {
  let version = tfjsVersions.get(projectDir);
  if (version === undefined) {
    version = readTfjsVersion(projectDir);
    tfjsVersions.set(projectDir, version);
  }
  return version;
}

async function readTfjsVersion(projectDir: string): Promise<string | undefined> {
  for (const base of [join(projectDir, "package.json"), import.meta.url]) {
    try {
      const require = createRequire(base);
      const manifest = JSON.parse(await readFile(require.resolve("@tensorflow/tfjs/package.json"), "utf8")) as { version?: string };
      if (manifest.version) return manifest.version;
    } catch {
      // not resolvable from here; try the next place
    }
  }
  return undefined;
}

async function tfjsBackend(): Promise<JSONObject | undefined> {
  try {
    const training = (await import("../../training/index.js" as string)) as { backendInfo?: () => { name: string; reason: string } | undefined };
    const info = training.backendInfo?.();
    if (info) return { name: info.name, reason: info.reason };
  } catch {
    // training/ not available: fall through to tfjs's own engine if it is loaded
  }
  const engine = (globalThis as { _tfengine?: { backendName?: string } })._tfengine;
  return engine?.backendName ? { name: engine.backendName, reason: "already loaded" } : undefined;
}

/** Lockfile hashes by path, reused while the file's size and mtime are unchanged (every run records one). */
const lockfileHashes = new Map<string, { size: number; mtimeMs: number; hash: string }>();

async function lockfileHash(projectDir: string): Promise<string | undefined> {
  for (const name of ["package-lock.json", "yarn.lock", "pnpm-lock.yaml"]) {
    const path = join(projectDir, name);
    try {
      const { size, mtimeMs } = await stat(path);
      const known = lockfileHashes.get(path);
      if (known && known.size === size && known.mtimeMs === mtimeMs) return known.hash;
      const hash = `${name}:sha256:${createHash("sha256").update(await readFile(path)).digest("hex")}`;
      lockfileHashes.set(path, { size, mtimeMs, hash });
      return hash;
    } catch {
      // try the next lockfile kind
    }
  }
  return undefined;
}

/** HEAD and the dirty flag from one `git status` (each spawn of git costs the training thread a few ms). */
async function gitState(projectDir: string): Promise<JSONObject | undefined> {
  const status = await runCommand("git", ["status", "--porcelain=v2", "--branch", "--untracked-files=no"], projectDir);
  if (status === undefined) return undefined;
  const lines = status.split("\n");
  const head = lines.find((line) => line.startsWith("# branch.oid "))?.slice("# branch.oid ".length);
  if (!head || !/^[0-9a-f]{40,64}$/.test(head)) return undefined; // no commit yet
  return { head, dirty: lines.some((line) => line.length > 0 && !line.startsWith("#")) };
}

let cpuDescription: string | undefined;
function describeCpus(): string {
  const processors = cpus(); // reads /proc/cpuinfo: once per process
  return processors.length > 0 ? `${processors[0].model.trim()} ×${processors.length}` : "unknown";
}

export async function captureEnvironment(projectDir: string): Promise<JSONObject> {
  const [gpu, tfjs, backend, lockfile, git] = await Promise.all([describeGpus(), tfjsVersion(projectDir), tfjsBackend(), lockfileHash(projectDir), gitState(projectDir)]);
  cpuDescription ??= describeCpus();
  const env: JSONObject = {
    node: process.version,
    os: `${platform()} ${release()} ${arch()}`,
    cpu: cpuDescription,
    memoryGB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    gpu: gpu ?? null,
    tfjs: tfjs ?? null,
    backend: backend ?? null,
    lockfile: lockfile ?? null,
    git: git ?? null,
  };
  return env;
}

/** The seed in force (%seed), when the seed magic is present. */
export async function currentSeedIfKnown(): Promise<number | null> {
  try {
    const seed = (await import("../seed/state.js" as string)) as { currentSeed?: () => number | null };
    return seed.currentSeed?.() ?? null;
  } catch {
    return null;
  }
}

/** Hashes of data files this kernel session read (%version), when %version is present. */
export async function sessionDataHashesIfKnown(): Promise<Record<string, string>> {
  try {
    const version = (await import("../version/index.js" as string)) as { sessionDataHashes?: () => Record<string, string> };
    return version.sessionDataHashes?.() ?? {};
  } catch {
    return {};
  }
}
