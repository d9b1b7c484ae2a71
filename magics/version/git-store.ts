// Git writing for %version: objects through isomorphic-git with an fs whose writes are atomic (temp file + rename,
// so kill -9 never leaves a torn object), and refs under refs/labnote/ updated by compare-and-swap under a
// <ref>.lock file created with O_EXCL (git's own convention), so concurrent kernels never lose a commit.
import { existsSync, promises as fsp, readFileSync, statSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve, sep } from "node:path";
import type { FsClient } from "isomorphic-git";

export interface Repository {
  /** The .git directory. */
  gitdir: string;
  /** The working tree root (the directory that holds .git). */
  root: string;
  /** True when labnote created the repository because the project had none. */
  created: boolean;
}

export const AUTHOR = { name: "labnote", email: "labnote@localhost" } as const;

type IsomorphicGit = typeof import("isomorphic-git");
let gitModule: Promise<IsomorphicGit> | undefined;
export function loadGit(): Promise<IsomorphicGit> {
  gitModule ??= import("isomorphic-git").then((module) => (module as unknown as { default?: IsomorphicGit }).default ?? module);
  return gitModule;
}

/** An fs for isomorphic-git: node's, with atomic writeFile and an optional extra config section (for fetch). */
export function gitFs(gitdir: string, extraConfig = ""): FsClient {
  const objectsDir = join(gitdir, "objects") + sep;
  const configPath = join(gitdir, "config");
  const promises = {
    ...fsp,
    async readFile(path: string, options?: unknown) {
      const content = await fsp.readFile(path, options as Parameters<typeof fsp.readFile>[1]);
      if (extraConfig && resolve(path) === configPath) return typeof content === "string" ? content + extraConfig : Buffer.concat([content as Buffer, Buffer.from(extraConfig)]);
      return content;
    },
    async writeFile(path: string, data: string | Uint8Array, options?: unknown) {
      // Temporary objects go to objects/tmp_obj_* as git's own do, where fsck does not look for objects.
      const temporaryDir = path.startsWith(objectsDir) ? objectsDir : dirname(path) + sep;
      const temporary = `${temporaryDir}tmp_obj_${process.pid}_${randomBytes(6).toString("hex")}`;
      await fsp.writeFile(temporary, data, options as Parameters<typeof fsp.writeFile>[2]);
      await fsp.rename(temporary, path);
    },
  };
  return { promises } as unknown as FsClient;
}

/** Finds the repository holding `projectDir` by walking up; creates one in `projectDir` when there is none. */
export async function findOrInitRepository(projectDir: string): Promise<Repository> {
  let current = resolve(projectDir);
  for (;;) {
    const dotGit = join(current, ".git");
    if (existsSync(dotGit)) {
      if (statSync(dotGit).isDirectory()) return { gitdir: dotGit, root: current, created: false };
      const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"));
      if (pointer) return { gitdir: resolve(current, pointer[1]!.trim()), root: current, created: false };
    }
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  const git = await loadGit();
  const root = resolve(projectDir);
  await git.init({ fs: gitFs(join(root, ".git")), dir: root, defaultBranch: "main" });
  return { gitdir: join(root, ".git"), root, created: true };
}

/** The oid a ref points at (loose file first, then packed-refs), or null. */
export async function readRef(gitdir: string, ref: string): Promise<string | null> {
  try {
    const value = (await fsp.readFile(join(gitdir, ref), "utf8")).trim();
    if (/^[0-9a-f]{40}$/.test(value)) return value;
  } catch {
    // not loose
  }
  try {
    const packed = await fsp.readFile(join(gitdir, "packed-refs"), "utf8");
    for (const line of packed.split("\n")) {
      const [oid, name] = line.split(" ");
      if (name === ref && oid && /^[0-9a-f]{40}$/.test(oid)) return oid;
    }
  } catch {
    // no packed refs
  }
  return null;
}

/** All refs under a prefix (loose and packed), e.g. "refs/labnote/". */
export async function listRefs(gitdir: string, prefix: string): Promise<Map<string, string>> {
  const refs = new Map<string, string>();
  try {
    const packed = await fsp.readFile(join(gitdir, "packed-refs"), "utf8");
    for (const line of packed.split("\n")) {
      const [oid, name] = line.split(" ");
      if (name?.startsWith(prefix) && oid && /^[0-9a-f]{40}$/.test(oid)) refs.set(name, oid);
    }
  } catch {
    // none packed
  }
  const walk = async (relativeDir: string): Promise<void> => {
    let entries;
    try {
      entries = await fsp.readdir(join(gitdir, relativeDir), { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const name = `${relativeDir}/${entry.name}`;
      if (entry.isDirectory()) await walk(name);
      else if (!entry.name.endsWith(".lock") && !entry.name.startsWith("tmp_obj_")) {
        const oid = await readRef(gitdir, name);
        if (oid) refs.set(name, oid);
      }
    }
  };
  await walk(prefix.replace(/\/$/, ""));
  return refs;
}

// A live update holds the lock for milliseconds; one this old was left by a killed process.
const STALE_LOCK_MS = 2_000;
const LOCK_WAIT_LIMIT_MS = 15_000;

/**
 * Points `ref` at `newOid` only if it still points at `expectedOld` (null: must not exist). Returns false when
 * someone else moved it first. The lock file is written completely and renamed over the ref: a crash leaves the
 * ref at the old or the new value, never torn.
 */
export async function compareAndSwapRef(gitdir: string, ref: string, expectedOld: string | null, newOid: string): Promise<boolean> {
  if (!ref.startsWith("refs/labnote/")) throw new Error(`labnote only writes refs under refs/labnote/, not ${ref}`);
  const refPath = join(gitdir, ref);
  const lockPath = `${refPath}.lock`;
  await fsp.mkdir(dirname(refPath), { recursive: true });
  const waitingSince = Date.now();
  for (;;) {
    let handle;
    try {
      handle = await fsp.open(lockPath, "wx");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      try {
        const age = Date.now() - (await fsp.stat(lockPath)).mtimeMs;
        if (age > STALE_LOCK_MS) await fsp.unlink(lockPath).catch(() => undefined);
      } catch {
        // gone already
      }
      if (Date.now() - waitingSince > LOCK_WAIT_LIMIT_MS) throw new Error(`${ref} stayed locked (${lockPath}): if no labnote kernel is running, delete that file.`);
      await new Promise((resolveWait) => setTimeout(resolveWait, 2 + Math.random() * 10));
      continue;
    }
    try {
      const current = await readRef(gitdir, ref);
      if (current !== expectedOld) {
        await handle.close();
        await fsp.unlink(lockPath);
        return false;
      }
      await handle.writeFile(`${newOid}\n`);
      await handle.close();
      await fsp.rename(lockPath, refPath);
      return true;
    } catch (error) {
      await handle.close().catch(() => undefined);
      await fsp.unlink(lockPath).catch(() => undefined);
      throw error;
    }
  }
}

export type TreeFiles = Record<string, string | Uint8Array>;

/** Writes blobs and (nested) trees for a map of path → content; returns the root tree oid. */
export async function writeFilesTree(gitdir: string, files: TreeFiles): Promise<string> {
  const git = await loadGit();
  const fs = gitFs(gitdir);
  const writeLevel = async (entries: [string[], string | Uint8Array][]): Promise<string> => {
    const blobs: [string, string | Uint8Array][] = [];
    const subdirs = new Map<string, [string[], string | Uint8Array][]>();
    for (const [parts, content] of entries) {
      if (parts.length === 1) blobs.push([parts[0]!, content]);
      else {
        const list = subdirs.get(parts[0]!) ?? [];
        list.push([parts.slice(1), content]);
        subdirs.set(parts[0]!, list);
      }
    }
    const tree: { mode: string; path: string; oid: string; type: "blob" | "tree" }[] = [];
    for (const [name, content] of blobs) {
      const blob = typeof content === "string" ? Buffer.from(content, "utf8") : content;
      tree.push({ mode: "100644", path: name, type: "blob", oid: await git.writeBlob({ fs, gitdir, blob }) });
    }
    for (const [name, children] of subdirs) tree.push({ mode: "040000", path: name, type: "tree", oid: await writeLevel(children) });
    return git.writeTree({ fs, gitdir, tree });
  };
  return writeLevel(Object.entries(files).map(([path, content]) => [path.split("/"), content]));
}

/** Appends a commit with `tree` on top of `ref`, retrying on concurrent updates (no snapshot is ever lost). */
export async function appendCommit(gitdir: string, ref: string, tree: string, message: string, when: Date, extraParents: string[] = []): Promise<string> {
  const git = await loadGit();
  const fs = gitFs(gitdir);
  const timestamp = Math.floor(when.getTime() / 1000);
  for (;;) {
    const parent = await readRef(gitdir, ref);
    const signature = { ...AUTHOR, timestamp, timezoneOffset: 0 };
    const oid = await git.writeCommit({
      fs,
      gitdir,
      commit: { message: message.endsWith("\n") ? message : `${message}\n`, tree, parent: parent ? [parent, ...extraParents] : extraParents, author: signature, committer: signature },
    });
    if (await compareAndSwapRef(gitdir, ref, parent, oid)) return oid;
  }
}

export interface CommitInfo {
  oid: string;
  message: string;
  parents: string[];
  tree: string;
  timestamp: number;
}

/** First-parent history of a ref, newest first. */
export async function firstParentLog(gitdir: string, ref: string, limit = Infinity): Promise<CommitInfo[]> {
  const git = await loadGit();
  const fs = gitFs(gitdir);
  const out: CommitInfo[] = [];
  let oid = await readRef(gitdir, ref);
  while (oid && out.length < limit) {
    const { commit } = await git.readCommit({ fs, gitdir, oid });
    out.push({ oid, message: commit.message, parents: commit.parent, tree: commit.tree, timestamp: commit.committer.timestamp });
    oid = commit.parent[0] ?? null;
  }
  return out;
}

/** A file's text in a commit's tree, or undefined when absent. */
export async function readTextAt(gitdir: string, commitOid: string, path: string): Promise<string | undefined> {
  const git = await loadGit();
  try {
    const { blob } = await git.readBlob({ fs: gitFs(gitdir), gitdir, oid: commitOid, filepath: path });
    return Buffer.from(blob).toString("utf8");
  } catch {
    return undefined;
  }
}
