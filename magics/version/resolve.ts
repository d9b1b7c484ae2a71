// %version resolve PATH --take ours|theirs: settles a data conflict of a pulled, diverged history with a version
// that records the chosen bytes for PATH, and puts those bytes into the project from the cache (as git checkout
// --ours/--theirs does) when the cache has them.
import { existsSync, lstatSync } from "node:fs";
import { MagicError } from "../types.js";
import { waitForCacheCopies } from "./data.js";
import { copyAtomically, localCache, objectPath, readTombstones, sha256OfFile, tombstoneMessage } from "./data-cache.js";
import { openConflicts, writeResolution, type DataConflict } from "./diverged.js";
import { resolveInsideProject } from "./paths.js";
import type { VersionSession } from "./session.js";

export interface ResolveResult {
  path: string;
  take: "ours" | "theirs";
  sha256: string;
  /** The version that records the choice (now @). */
  version: string;
  conflict: DataConflict;
  /** Whether the project's file now holds the chosen bytes, and if not why. */
  file: { restored: boolean; message: string };
}

export async function resolveDataConflict(session: VersionSession, path: string, take: "ours" | "theirs", now = new Date()): Promise<ResolveResult> {
  if (take !== "ours" && take !== "theirs") throw new MagicError(`--take is ours or theirs, not "${String(take)}": ours keeps this machine's bytes, theirs the pulled remote's.`);
  const { gitdir } = await session.repo();
  const projectPath = path.replace(/^\.\//, "");
  const open = await openConflicts(gitdir, session.versionsRef);
  const conflict = open.find((candidate) => candidate.path === projectPath);
  if (!conflict) {
    throw new MagicError(open.length === 0 ? `there is no open data conflict: %version pull reports conflicts when a diverged remote gives a path other bytes.` : `${projectPath} has no open data conflict; these do: ${open.map((candidate) => candidate.path).join(", ")}.`);
  }
  const version = await writeResolution(gitdir, session.versionsRef, conflict, take, now);
  const chosen = conflict[take];
  await waitForCacheCopies();
  return { path: projectPath, take, sha256: chosen.sha256, version, conflict, file: restoreChosen(session, projectPath, chosen.sha256) };
}

function restoreChosen(session: VersionSession, path: string, sha256: string): ResolveResult["file"] {
  let target: string;
  try {
    target = resolveInsideProject(session.projectDir, path);
    if (existsSync(target) && lstatSync(target).isSymbolicLink()) return { restored: false, message: `${path} is a symlink: labnote does not write through symlinks; the version records the choice, replace the file yourself.` };
  } catch (error) {
    return { restored: false, message: error instanceof Error ? error.message : String(error) };
  }
  if (existsSync(target) && sha256OfFile(target) === sha256) return { restored: true, message: `${path} already holds the chosen bytes` };
  const cache = localCache(session.projectDir);
  const source = objectPath(cache, sha256);
  if (!existsSync(source) || sha256OfFile(source) !== sha256) {
    const why = tombstoneMessage(readTombstones(cache), sha256, path) ?? `the chosen bytes (sha256 ${sha256.slice(0, 12)}…) are not in the local cache: %version pull REMOTE --data DIR fetches them, then %version checkout @ --data`;
    return { restored: false, message: why };
  }
  copyAtomically(source, target);
  return { restored: true, message: `${path} now holds the chosen bytes` };
}
