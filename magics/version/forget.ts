// %version forget PATH|HASH --reason "…" [--scrub]: the bytes leave every cache, remote data directory and run
// artifact labnote knows of (found through versions and auto-snapshots alike), their rows leave the SQLite files under
// .labnote/ (samples, runs, kernel history); --scrub rewrites the refs/labnote histories whose stored outputs hold
// them. It ends by searching every place again and naming any where the content still appears.
import { createHash } from "node:crypto";
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync, unlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { MagicError } from "../types.js";
import { waitForCacheCopies, type ManifestEntry } from "./data.js";
import { localCache, objectPath, readTombstones, remoteDataDir, removeObject, sha256OfFile, writeTombstones, type Tombstone } from "./data-cache.js";
import { findForgottenBytes, needlesOf, redactionMark, type ForgottenContent } from "./forget-content.js";
import { findInLabnoteHistory, scrubLabnoteHistory } from "./forget-git.js";
import { isSqliteHeader, redactPostgresStore, redactSqliteFile, type SqliteRedaction } from "./forget-sqlite.js";
import { gitFs, listRefs, loadGit, readTextAt } from "./git-store.js";
import { labnoteDir, resolveInsideProject } from "./paths.js";
import { knownDataRemotes } from "./remote.js";
import { formatOf } from "./row-scan.js";
import type { VersionSession } from "./session.js";

export interface ForgetOptions {
  reason: string;
  scrub?: boolean;
  now?: Date;
}

export interface ForgetReport {
  target: string;
  reason: string;
  /** sha256 of every forgotten file version. */
  hashes: string[];
  /** Cache directories (local and remote) the bytes were removed from. */
  removedFrom: string[];
  tombstones: Tombstone[];
  artifactsRemoved: string[];
  /** Text redacted in SQLite files under .labnote/: file, table, column, how many distinct values. */
  redacted: SqliteRedaction[];
  scrub: { refs: { ref: string; before: string; after: string }[]; commitsRewritten: number; filesRedacted: number; versionIds: Record<string, string>; forcePush: string[] } | null;
  /** Where the content still appears after all of that, with what to do. */
  remaining: { place: string; detail: string }[];
  /** False when some forgotten version's bytes were nowhere to read, so its text could not be searched for. */
  searchedText: boolean;
}

interface RemotesFile {
  data?: string[];
  git?: string[];
}

function knownGitRemotes(projectDir: string): string[] {
  try {
    return (JSON.parse(readFileSync(join(labnoteDir(projectDir), "remotes.json"), "utf8")) as RemotesFile).git ?? [];
  } catch {
    return [];
  }
}

const matchesPath = (file: ManifestEntry, path: string) => file.path === path || file.path.startsWith(`${path.replace(/\/$/, "")}/`);

/** Every file version recorded for `path` (or under it) by versions and auto-snapshots of every refs/labnote ref. */
async function recordedVersionsOf(session: VersionSession, path: string | null, hash: string | null): Promise<ManifestEntry[]> {
  const { gitdir } = await session.repo();
  const git = await loadGit();
  const found = new Map<string, ManifestEntry>();
  for (const [file, sha256] of session.dataHashes) if (sha256 === hash || (path !== null && matchesPath({ path: file, size: 0, sha256 }, path))) found.set(`${file}:${sha256}`, { path: file, size: 0, sha256 });
  const seen = new Set<string>();
  for (const head of (await listRefs(gitdir, "refs/labnote/")).values()) {
    const stack = [head];
    while (stack.length > 0) {
      const oid = stack.pop()!;
      if (seen.has(oid)) continue;
      seen.add(oid);
      const { commit } = await git.readCommit({ fs: gitFs(gitdir), gitdir, oid });
      stack.push(...commit.parent);
      for (const name of ["data.json", "cell.json"]) {
        const text = await readTextAt(gitdir, oid, name);
        if (!text) continue;
        const record = JSON.parse(text) as { files?: ManifestEntry[]; data?: { files?: ManifestEntry[] } };
        for (const file of record.files ?? record.data?.files ?? []) {
          if (file.sha256 === hash || (path !== null && matchesPath(file, path))) found.set(`${file.path}:${file.sha256}`, file);
        }
      }
    }
  }
  return [...found.values()];
}

function filesUnder(root: string, skip: (path: string) => boolean = () => false): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && !skip(path)) out.push(path);
  }
  return out;
}

/** The bytes of a forgotten version, wherever they can still be read (before they are removed). */
function readForgottenBytes(session: VersionSession, entry: { sha256: string; path: string | null }, caches: string[]): Buffer | undefined {
  for (const root of caches) {
    const object = objectPath(root, entry.sha256);
    if (existsSync(object) && statSync(object).size <= 64 * 1024 * 1024) return readFileSync(object);
  }
  if (entry.path) {
    try {
      const absolute = resolveInsideProject(session.projectDir, entry.path);
      if (existsSync(absolute) && statSync(absolute).isFile() && sha256OfFile(absolute) === entry.sha256) return readFileSync(absolute);
    } catch {
      // outside the project or unreadable: nothing to read here
    }
  }
  return undefined;
}

const SEARCH_LIMIT = 256 * 1024 * 1024;

function searchFiles(files: string[], content: ForgottenContent, hashes: Set<string>, describe: (file: string) => string): ForgetReport["remaining"] {
  const out: ForgetReport["remaining"] = [];
  for (const file of files) {
    const name = file.split(/[\\/]/).slice(-2).join("");
    if (hashes.has(name)) {
      out.push({ place: describe(file), detail: "a cache object of the forgotten bytes is still there: delete it" });
      continue;
    }
    const size = statSync(file).size;
    if (size > SEARCH_LIMIT) {
      out.push({ place: describe(file), detail: `not searched (${Math.round(size / 1e6)} MB, over the search limit)` });
      continue;
    }
    if (content.needles.length > 0 && findForgottenBytes(content, readFileSync(file))) out.push({ place: describe(file), detail: "holds forgotten text" });
  }
  return out;
}

export async function forgetEverywhere(session: VersionSession, target: string, options: ForgetOptions): Promise<ForgetReport> {
  const reason = options.reason.trim();
  if (!reason) throw new MagicError('forget needs --reason "TEXT": the reason is shown to whoever later needs these bytes.');
  const now = options.now ?? new Date();
  await session.flush();
  await waitForCacheCopies();
  const { gitdir } = await session.repo();
  const isHash = /^[0-9a-f]{64}$/.test(target);
  const path = isHash ? null : target.replace(/^\.\//, "").replace(/\/$/, "");
  const recorded = await recordedVersionsOf(session, path, isHash ? target : null);
  const hashes = [...new Set([...(isHash ? [target] : []), ...recorded.map((entry) => entry.sha256)])];
  if (hashes.length === 0) throw new MagicError(`nothing is recorded for ${target}: give a data path a cell read or a version holds, or a full sha256 (see %version log / diff).`);

  const local = localCache(session.projectDir);
  const remotes = knownDataRemotes(session.projectDir).map((remote) => remoteDataDir(remote, session.projectDir));
  const caches = [local, ...remotes];
  // Read what to search for before the bytes go.
  const contents: { bytes: Buffer; header: boolean }[] = [];
  let searchedText = true;
  for (const sha256 of hashes) {
    const entry = recorded.find((candidate) => candidate.sha256 === sha256) ?? { sha256, path: null };
    const bytes = readForgottenBytes(session, entry, caches);
    if (!bytes) searchedText = false;
    else {
      const format = entry.path ? formatOf(entry.path) : undefined;
      contents.push({ bytes, header: format === "csv" || format === "tsv" });
    }
  }
  const content = needlesOf(contents);
  const mark = redactionMark(reason, now);

  const tombstones: Tombstone[] = hashes.map((sha256) => ({ sha256, path: recorded.find((entry) => entry.sha256 === sha256)?.path ?? path, reason, removedAt: now.toISOString() }));
  const removedFrom: string[] = [];
  for (const root of caches) {
    let removed = false;
    for (const sha256 of hashes) removed = removeObject(root, sha256) || removed;
    if (removed) removedFrom.push(root);
    if (existsSync(root) || root === local) writeTombstones(root, [...readTombstones(root), ...tombstones]);
  }
  const states = session.states();
  states.forget(new Set(hashes));
  states.save();

  const hashSet = new Set(hashes);
  const artifactsRemoved: string[] = [];
  for (const file of filesUnder(join(labnoteDir(session.projectDir), "artifacts"))) {
    const size = statSync(file).size;
    const holds = size <= SEARCH_LIMIT && (hashSet.has(sha256OfFile(file)) || (content.needles.length > 0 && findForgottenBytes(content, readFileSync(file))));
    if (holds) {
      unlinkSync(file);
      artifactsRemoved.push(relative(session.projectDir, file));
    }
  }

  const redacted: SqliteRedaction[] = [];
  const remainingNotes: ForgetReport["remaining"] = [];
  if (content.needles.length > 0) {
    for (const file of filesUnder(labnoteDir(session.projectDir), (candidate) => candidate.startsWith(local))) {
      const head = Buffer.alloc(16);
      try {
        const fd = openSync(file, "r");
        readSync(fd, head, 0, 16, 0);
        closeSync(fd);
      } catch {
        continue;
      }
      if (!isSqliteHeader(head)) continue;
      for (const entry of await redactSqliteFile(file, content, mark)) redacted.push({ ...entry, file: relative(session.projectDir, entry.file) });
    }
  }

  // A store outside .labnote/ (LABNOTE_STORE=sqlite:… elsewhere, or PostgreSQL shared by many kernels).
  if (content.needles.length > 0) redacted.push(...(await redactStoreElsewhere(session, content, mark, remainingNotes)));

  let scrub: ForgetReport["scrub"] = null;
  if (options.scrub && content.needles.length > 0) {
    const result = await scrubLabnoteHistory(gitdir, content, mark);
    const versionIds = Object.fromEntries(result.rewritten);
    await renameVersionIds(session, result.rewritten);
    for (let index = 0; index < session.snapshotCommits.length; index++) session.snapshotCommits[index] = result.rewritten.get(session.snapshotCommits[index]!) ?? session.snapshotCommits[index]!;
    scrub = { refs: result.refs, commitsRewritten: result.commitsRewritten, filesRedacted: result.filesRedacted, versionIds, forcePush: result.refs.length > 0 ? knownGitRemotes(session.projectDir) : [] };
  }

  const remaining = [...remainingNotes, ...(await whereItRemains(session, content, hashSet, { path, remotes, local, gitdir, scrubbed: scrub, contents: contents.map((entry) => entry.bytes) }))];
  if (options.scrub && content.needles.length === 0) remaining.push({ place: "refs/labnote", detail: "--scrub had nothing to search for: none of the forgotten bytes could be read any more, so no history was rewritten" });
  if (!searchedText) remaining.push({ place: "(text search)", detail: "some forgotten bytes were in no cache and no project file any more, so their rows could not be searched for; objects were removed by hash" });
  return { target, reason, hashes, removedFrom, tombstones, artifactsRemoved, redacted, scrub, remaining, searchedText };
}

async function redactStoreElsewhere(session: VersionSession, content: ForgottenContent, mark: string, notes: ForgetReport["remaining"]): Promise<SqliteRedaction[]> {
  let location;
  try {
    const { resolveStoreLocation } = await import("../../store/index.js");
    location = resolveStoreLocation(session.projectDir);
  } catch {
    return [];
  }
  try {
    if (location.kind === "postgres") {
      const redacted = await redactPostgresStore(location.url, content, mark);
      if (redacted.length > 0) notes.push({ place: redacted[0]!.file, detail: "PostgreSQL keeps the old row versions until VACUUM reuses their space: an administrator can run VACUUM FULL labnote_samples, labnote_runs to purge them now" });
      return redacted;
    }
    if (location.kind === "sqlite" && !location.path.startsWith(labnoteDir(session.projectDir)) && existsSync(location.path)) return await redactSqliteFile(location.path, content, mark);
  } catch (error) {
    notes.push({ place: location.kind === "postgres" ? "the PostgreSQL store" : location.kind, detail: `not searched: ${error instanceof Error ? error.message : String(error)}` });
  }
  return [];
}

/** Runs in the store that name a rewritten version get its new id. */
async function renameVersionIds(session: VersionSession, rewritten: Map<string, string>): Promise<void> {
  if (rewritten.size === 0) return;
  try {
    const { getStore } = await import("../../store/index.js");
    const store = await getStore(session.projectDir);
    for (const run of await store.findRuns({})) {
      const next = run.versionId ? rewritten.get(run.versionId) : undefined;
      if (next) await store.updateRun(run.id, { versionId: next });
    }
  } catch {
    // no store reachable: the runs keep the old ids, which %version log no longer lists
  }
}

async function whereItRemains(
  session: VersionSession,
  content: ForgottenContent,
  hashes: Set<string>,
  where: { path: string | null; remotes: string[]; local: string; gitdir: string; scrubbed: ForgetReport["scrub"]; contents: Buffer[] },
): Promise<ForgetReport["remaining"]> {
  const remaining: ForgetReport["remaining"] = [];
  const projectRelative = (file: string) => relative(session.projectDir, file);
  remaining.push(...searchFiles(filesUnder(labnoteDir(session.projectDir), (file) => file.endsWith("-shm")), content, hashes, projectRelative));
  for (const remote of where.remotes) remaining.push(...searchFiles(filesUnder(remote), content, hashes, (file) => `data remote ${file}`));
  if (content.needles.length > 0) {
    for (const hit of await findInLabnoteHistory(where.gitdir, content, 20)) {
      remaining.push({ place: `${hit.ref} commit ${hit.commit.slice(0, 10)} ${hit.path}`, detail: where.scrubbed ? "still holds forgotten text after the rewrite" : "a stored output holds forgotten text: run the forget again with --scrub to rewrite that history" });
    }
  }
  if (where.path) {
    try {
      const absolute = resolveInsideProject(session.projectDir, where.path);
      const files = existsSync(absolute) ? (statSync(absolute).isDirectory() ? filesUnder(absolute) : [absolute]) : [];
      for (const file of files) {
        if (hashes.has(sha256OfFile(file)) || (content.needles.length > 0 && statSync(file).size <= SEARCH_LIMIT && findForgottenBytes(content, readFileSync(file)))) {
          remaining.push({ place: `${projectRelative(file)} (your working copy)`, detail: "labnote does not delete your files: delete or replace it yourself" });
        }
      }
    } catch {
      // the path is not inside the project
    }
  }
  // The user's own git history (labnote never rewrites it): is a forgotten file a blob of the repository?
  const git = await loadGit();
  for (const bytes of where.contents) {
    const oid = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
    try {
      await git.readObject({ fs: gitFs(where.gitdir), gitdir: where.gitdir, oid, format: "deflated" });
      remaining.push({ place: `git object ${oid.slice(0, 10)} in ${where.gitdir}`, detail: "your own commits hold the file: labnote never rewrites your branches; remove it from their history yourself (e.g. git filter-repo)" });
    } catch {
      // not in the repository
    }
  }
  if (where.scrubbed && where.scrubbed.refs.length > 0) {
    remaining.push({ place: `${where.gitdir} (unreachable objects)`, detail: "the pre-rewrite objects stay in .git/objects until git gc --prune=now; labnote does not delete objects your own branches could share" });
    for (const remote of where.scrubbed.forcePush) remaining.push({ place: `git remote ${remote}`, detail: `still has the old refs/labnote history: %version push ${remote} --force` });
  }
  return remaining;
}
