// %version push / pull: refs/labnote/* over git smart HTTP with isomorphic-git, and the data cache to a remote
// directory (a path or file:// URL). Remotes used are remembered so %version forget can reach them later.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import { MagicError } from "../types.js";
import { waitForCacheCopies } from "./data.js";
import { localCache, readTombstones, remoteDataDir, removeObject, syncObjects, writeTombstones } from "./data-cache.js";
import { mergeDiverged, type DataConflict } from "./diverged.js";
import { compareAndSwapRef, gitFs, listRefs, loadGit, readRef } from "./git-store.js";
import { labnoteDir } from "./paths.js";
import type { VersionSession } from "./session.js";
import type { HttpClient } from "isomorphic-git";

interface RemotesFile {
  data: string[];
  git: string[];
}

function remotesPath(projectDir: string): string {
  return join(labnoteDir(projectDir), "remotes.json");
}

function readRemotes(projectDir: string): RemotesFile {
  try {
    return JSON.parse(readFileSync(remotesPath(projectDir), "utf8")) as RemotesFile;
  } catch {
    return { data: [], git: [] };
  }
}

function rememberRemote(projectDir: string, kind: keyof RemotesFile, remote: string): void {
  const remotes = readRemotes(projectDir);
  if (remotes[kind].includes(remote)) return;
  remotes[kind].push(remote);
  mkdirSync(labnoteDir(projectDir), { recursive: true });
  writeFileSync(`${remotesPath(projectDir)}.tmp`, JSON.stringify(remotes, null, 2));
  renameSync(`${remotesPath(projectDir)}.tmp`, remotesPath(projectDir));
}

export function knownDataRemotes(projectDir: string): string[] {
  return readRemotes(projectDir).data;
}

export interface SyncResult {
  remote: string;
  refs: { ref: string; status: string }[];
  data: { remote: string; objects: number; tombstonesApplied: number } | null;
  /** Data paths a pulled, diverged line gave other bytes than the local one: settle with %version resolve. */
  conflicts: DataConflict[];
}

function isHttp(remote: string): boolean {
  return /^https?:\/\//i.test(remote);
}

async function pushDataCache(session: VersionSession, dataRemote: string): Promise<SyncResult["data"]> {
  await waitForCacheCopies();
  const local = localCache(session.projectDir);
  const remote = remoteDataDir(dataRemote, session.projectDir);
  mkdirSync(remote, { recursive: true });
  const tombstones = [...readTombstones(local), ...readTombstones(remote)];
  const forgotten = new Set(tombstones.map((tombstone) => tombstone.sha256));
  let applied = 0;
  for (const sha256 of forgotten) if (removeObject(remote, sha256)) applied++;
  const copied = syncObjects(local, remote, forgotten);
  if (tombstones.length > 0) writeTombstones(remote, tombstones);
  rememberRemote(session.projectDir, "data", dataRemote);
  return { remote, objects: copied.length, tombstonesApplied: applied };
}

async function pullDataCache(session: VersionSession, dataRemote: string): Promise<SyncResult["data"]> {
  const local = localCache(session.projectDir);
  const remote = remoteDataDir(dataRemote, session.projectDir);
  if (!existsSync(remote)) throw new MagicError(`the data remote ${remote} does not exist: push to it first, or check the path.`);
  const tombstones = [...readTombstones(local), ...readTombstones(remote)];
  const forgotten = new Set(tombstones.map((tombstone) => tombstone.sha256));
  let applied = 0;
  for (const sha256 of forgotten) if (removeObject(local, sha256)) applied++;
  const copied = syncObjects(remote, local, forgotten);
  if (tombstones.length > 0) writeTombstones(local, tombstones);
  rememberRemote(session.projectDir, "data", dataRemote);
  return { remote, objects: copied.length, tombstonesApplied: applied };
}

export async function pushVersions(session: VersionSession, remote: string, options: { data?: string | undefined; force?: boolean | undefined } = {}): Promise<SyncResult> {
  const result: SyncResult = { remote, refs: [], data: null, conflicts: [] };
  await session.flush();
  if (isHttp(remote)) {
    const git = await loadGit();
    const http = (await import("isomorphic-git/http/node")).default;
    const { gitdir } = await session.repo();
    const refs = await listRefs(gitdir, "refs/labnote/");
    for (const ref of refs.keys()) {
      try {
        // force: after %version forget --scrub rewrote the history, the remote's old one must be replaced.
        const pushed = await git.push({ fs: gitFs(gitdir), http, gitdir, url: remote, ref, remoteRef: ref, force: options.force === true });
        const status = pushed.refs[ref];
        result.refs.push({ ref, status: status?.ok ? "pushed" : `rejected: ${status?.error ?? "unknown"}` });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        result.refs.push({ ref, status: /fast-forward|PushRejected/i.test(message) ? "rejected: the remote has snapshots you do not; %version pull first, then push" : `failed: ${message}` });
      }
    }
    rememberRemote(session.projectDir, "git", remote);
  }
  const dataRemote = options.data ?? (isHttp(remote) ? undefined : remote);
  if (dataRemote) result.data = await pushDataCache(session, dataRemote);
  return result;
}

/**
 * isomorphic-git's fetch insists on a remote HEAD, which a bare remote holding only refs/labnote/* lacks (its HEAD
 * is unborn). This client adds a HEAD line to the upload-pack ref advertisement, pointing at the ref being fetched.
 */
function withAdvertisedHead(http: HttpClient, headOid: string): HttpClient {
  return {
    async request(request) {
      const response = await http.request(request);
      if (!/\/info\/refs\?service=git-upload-pack$/.test(request.url) || !response.body || response.statusCode !== 200) return response;
      const chunks: Uint8Array[] = [];
      for await (const chunk of response.body) chunks.push(chunk);
      const body = Buffer.concat(chunks);
      const text = body.toString("latin1");
      if (/[0-9a-f]{40} HEAD[\0\n]/.test(text)) return { ...response, body: (async function* () { yield body; })() };
      const line = `${headOid} HEAD\n`;
      const packet = Buffer.from(`${(line.length + 4).toString(16).padStart(4, "0")}${line}`, "latin1");
      // Insert before the final flush packet that ends the advertisement.
      const end = body.lastIndexOf("0000");
      const patched = Buffer.concat([body.subarray(0, end), packet, body.subarray(end)]);
      return { ...response, body: (async function* () { yield patched; })() };
    },
  };
}

/** Fetches every refs/labnote/* of the remote; fast-forwards, or merges diverged histories so nothing is lost. */
export async function pullVersions(session: VersionSession, remote: string, options: { data?: string | undefined } = {}): Promise<SyncResult> {
  const result: SyncResult = { remote, refs: [], data: null, conflicts: [] };
  if (isHttp(remote)) {
    const git = await loadGit();
    const http = (await import("isomorphic-git/http/node")).default;
    const { gitdir } = await session.repo();
    const serverRefs = await git.listServerRefs({ http, url: remote, prefix: "refs/labnote/" });
    // A remote known only to isomorphic-git's view of the config: the user's .git/config is never edited.
    const extraConfig = `\n[remote "labnote-pull"]\n\turl = ${remote}\n\tfetch = +refs/labnote/*:refs/labnote-pull/*\n`;
    for (const { ref, oid } of serverRefs) {
      if (!ref.startsWith("refs/labnote/")) continue;
      try {
        await git.fetch({ fs: gitFs(gitdir, extraConfig), http: withAdvertisedHead(http, oid), gitdir, remote: "labnote-pull", ref, remoteRef: ref, singleBranch: true, tags: false });
      } catch (error) {
        throw new MagicError(`fetching ${ref} from ${remote} failed (${error instanceof Error ? error.message : String(error)}): check the URL and that the server allows git-upload-pack, then pull again.`);
      }
      await git.readCommit({ fs: gitFs(gitdir), gitdir, oid }).catch(() => {
        throw new MagicError(`fetching ${ref} from ${remote} did not bring commit ${oid.slice(0, 10)}: check the remote with git fsck, then pull again.`);
      });
      const local = await readRef(gitdir, ref);
      let status: string;
      if (local === oid) status = "up to date";
      else if (local === null) status = (await compareAndSwapRef(gitdir, ref, null, oid)) ? "new" : "changed meanwhile, pull again";
      else if (await git.isDescendent({ fs: gitFs(gitdir), gitdir, oid, ancestor: local, depth: -1 })) status = (await compareAndSwapRef(gitdir, ref, local, oid)) ? "fast-forwarded" : "changed meanwhile, pull again";
      else if (await git.isDescendent({ fs: gitFs(gitdir), gitdir, oid: local, ancestor: oid, depth: -1 })) status = "local is ahead";
      else {
        // Diverged: both lines are kept (a merge commit); data paths the two lines changed differently are conflicts.
        const merged = await mergeDiverged(gitdir, ref, local, oid, remote);
        status = merged.merged ? (merged.conflicts.length > 0 ? `merged with ${merged.conflicts.length} data conflict(s)` : "merged") : "changed meanwhile, pull again";
        if (merged.merged) result.conflicts.push(...merged.conflicts);
      }
      result.refs.push({ ref, status });
    }
    // The fetch's tracking refs are scratch: the refs that matter were updated above.
    await rm(join(gitdir, "refs", "labnote-pull"), { recursive: true, force: true });
    rememberRemote(session.projectDir, "git", remote);
  }
  const dataRemote = options.data ?? (isHttp(remote) ? undefined : remote);
  if (dataRemote) result.data = await pullDataCache(session, dataRemote);
  return result;
}
