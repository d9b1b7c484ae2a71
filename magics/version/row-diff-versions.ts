// %version diff A B --rows: the row diff of every table file two versions give different bytes (read from the
// content cache), or of two table files of the project named directly.
import { existsSync, statSync } from "node:fs";
import { MagicError } from "../types.js";
import { localCache, objectPath, readTombstones, tombstoneMessage } from "./data-cache.js";
import { waitForCacheCopies } from "./data.js";
import { diffData } from "./diff.js";
import { resolveInsideProject } from "./paths.js";
import { diffDataRows, type RowDiff } from "./row-diff.js";
import { formatOf } from "./row-scan.js";
import type { VersionSession } from "./session.js";
import { readVersion, resolveVersion } from "./versions.js";

export interface RowDiffOfFile extends RowDiff {
  /** The data path the two sides share (or "A → B" for two files named directly). */
  path: string;
}

export interface VersionRowDiff {
  from: string;
  to: string;
  key: string | null;
  files: RowDiffOfFile[];
  /** Modified files that could not be diffed by rows, and why. */
  skipped: { path: string; reason: string }[];
}

export interface RowDiffRequest {
  key?: string | undefined;
  /** Only this data path (a file of the manifests). */
  path?: string | undefined;
}

function isProjectFile(session: VersionSession, spec: string): string | undefined {
  if (/^@(~\d+)?$/.test(spec.trim())) return undefined;
  try {
    const absolute = resolveInsideProject(session.projectDir, spec);
    return existsSync(absolute) && statSync(absolute).isFile() ? absolute : undefined;
  } catch {
    return undefined;
  }
}

export async function diffVersionRows(session: VersionSession, a: string, b: string, request: RowDiffRequest = {}): Promise<VersionRowDiff> {
  const fileA = isProjectFile(session, a);
  const fileB = isProjectFile(session, b);
  if (fileA && fileB) {
    const diff = await diffDataRows(fileA, fileB, { key: request.key, labels: { before: a, after: b } });
    return { from: a, to: b, key: request.key ?? null, files: [{ path: `${a} → ${b}`, ...diff }], skipped: [] };
  }
  if (fileA || fileB) throw new MagicError(`give two versions or two files: ${fileA ? a : b} is a file, ${fileA ? b : a} is not (a version is an id, a unique prefix, @ or @~N).`);
  const { gitdir } = await session.repo();
  const [idA, idB] = [await resolveVersion(session, a), await resolveVersion(session, b)];
  await waitForCacheCopies();
  return diffResolvedVersionRows(session.projectDir, gitdir, idA, idB, request, { a, b });
}

/**
 * The row diff of two resolved versions (full ids) of the project at `projectDir`, its bytes read from the project's
 * content cache: what `%version diff A B --rows` shows, and what the dashboard's /api/versions/rows answers.
 * `specs` are the names the user gave (for messages), default the ids.
 */
export async function diffResolvedVersionRows(projectDir: string, gitdir: string, idA: string, idB: string, request: RowDiffRequest = {}, specs: { a: string; b: string } = { a: idA, b: idB }): Promise<VersionRowDiff> {
  const { a, b } = specs;
  const [versionA, versionB] = [await readVersion(gitdir, idA), await readVersion(gitdir, idB)];
  const modified = diffData(versionA.data.files, versionB.data.files).modified.filter((entry) => request.path === undefined || entry.path === request.path.replace(/^\.\//, ""));
  if (request.path !== undefined && modified.length === 0) {
    const known = versionA.data.files.some((file) => file.path === request.path) || versionB.data.files.some((file) => file.path === request.path);
    throw new MagicError(known ? `${request.path} has the same bytes in ${idA.slice(0, 10)} and ${idB.slice(0, 10)}: no row changed.` : `${request.path} is in neither version's data: see %version diff ${a} ${b} for the files there are.`);
  }
  const cache = localCache(projectDir);
  const tombstones = readTombstones(cache);
  const result: VersionRowDiff = { from: idA, to: idB, key: request.key ?? null, files: [], skipped: [] };
  for (const entry of modified) {
    if (!formatOf(entry.path)) {
      result.skipped.push({ path: entry.path, reason: "not a table file (.csv, .tsv, .jsonl, .ndjson or .json): only whole-file changes are known" });
      continue;
    }
    const missing = [entry.before, entry.after].find((side) => !existsSync(objectPath(cache, side.sha256)));
    if (missing) {
      result.skipped.push({ path: entry.path, reason: tombstoneMessage(tombstones, missing.sha256, entry.path) ?? `the bytes of one side (sha256 ${missing.sha256.slice(0, 12)}…) are not in the local cache: run %version pull REMOTE to fetch them` });
      continue;
    }
    const diff = await diffDataRows(objectPath(cache, entry.before.sha256), objectPath(cache, entry.after.sha256), {
      key: request.key,
      format: formatOf(entry.path),
      labels: { before: `${entry.path}@${idA.slice(0, 10)}`, after: `${entry.path}@${idB.slice(0, 10)}` },
    });
    result.files.push({ path: entry.path, ...diff });
  }
  return result;
}
