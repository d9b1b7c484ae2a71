// The scratch project a version is re-run in: its data from the caches (verified by hash), the installed packages
// linked in, its own git repository and store. Nothing is ever written into the user's project; remove() deletes it.
// The repository, store and kernel sockets live beside the project directory, not in it: the kernel's TypeScript
// watches its working directory, and git's new object directories there would start rebuilds mid-cell.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { PACKAGE_ROOT } from "../../../kernel/engine/package-root.js";
import { MagicError } from "../../types.js";
import type { ManifestEntry } from "../data.js";
import { copyAtomically, objectPath, readTombstones, sha256OfFile, tombstoneMessage } from "../data-cache.js";
import { gitFs, loadGit } from "../git-store.js";
import { resolveInsideProject } from "../paths.js";

export interface ScratchProject {
  /** The re-run's project directory (the kernel's working directory). */
  dir: string;
  /** Holds dir, the repository, the store and the kernel's connection file and sockets. */
  root: string;
  gitdir: string;
  storePath: string;
  /** Where node_modules for the notebook's imports came from (a link, not a copy). */
  modules: string | null;
  remove(): void;
}

function nearestNodeModules(from: string): string | null {
  for (let dir = resolve(from); ; dir = dirname(dir)) {
    if (existsSync(join(dir, "node_modules"))) return join(dir, "node_modules");
    if (dirname(dir) === dir) return existsSync(join(PACKAGE_ROOT, "node_modules")) ? join(PACKAGE_ROOT, "node_modules") : null;
  }
}

/** Finds every file's bytes in the caches (in order) or throws one error naming each missing file and why. */
function locateData(files: ManifestEntry[], caches: string[]): Map<string, string> {
  const found = new Map<string, string>();
  const missing: string[] = [];
  for (const file of files) {
    const source = caches.map((cache) => objectPath(cache, file.sha256)).find((path) => existsSync(path));
    if (source) {
      found.set(file.path, source);
      continue;
    }
    const why = caches.map((cache) => tombstoneMessage(readTombstones(cache), file.sha256, file.path)).find((message) => message !== undefined);
    missing.push(why ?? `${file.path} (sha256 ${file.sha256.slice(0, 12)}…)`);
  }
  if (missing.length > 0) {
    throw new MagicError(
      `the version's data is missing from every cache (${caches.join(", ")}): ${missing.join("; ")}. Fetch it with %version pull REMOTE --data DIR (or labnote repro --data DIR), then run repro again; nothing was re-run.`,
    );
  }
  return found;
}

export async function createScratchProject(options: { files: ManifestEntry[]; caches: string[]; projectDir: string }): Promise<ScratchProject> {
  // Located before anything is created: missing data is an error with nothing to clean up.
  const sources = locateData(options.files, options.caches);
  const root = mkdtempSync(join(tmpdir(), "labnote-repro-"));
  const dir = join(root, "project");
  const gitdir = join(root, "git");
  const remove = () => rmSync(root, { recursive: true, force: true });
  try {
    mkdirSync(dir);
    for (const file of options.files) {
      const target = resolveInsideProject(dir, file.path);
      const source = sources.get(file.path)!;
      // A hard-linked cache object edited in place no longer holds the recorded bytes.
      if (sha256OfFile(source) !== file.sha256) throw new MagicError(`the cached bytes of ${file.path} no longer match the version (edited in place?): pull them again from a remote with %version pull, then run repro again.`);
      mkdirSync(dirname(target), { recursive: true });
      copyAtomically(source, target);
    }
    const modules = nearestNodeModules(options.projectDir);
    if (modules) symlinkSync(modules, join(dir, "node_modules"), "dir");
    mkdirSync(join(dir, ".labnote"), { recursive: true });
    const git = await loadGit();
    await git.init({ fs: gitFs(gitdir), dir, gitdir, defaultBranch: "main" });
    writeFileSync(join(dir, ".git"), "gitdir: ../git\n");
    return { dir, root, gitdir, storePath: join(root, "store.db"), modules, remove };
  } catch (error) {
    remove();
    throw error;
  }
}
