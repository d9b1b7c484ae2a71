// Diverged histories: after `%version pull` merges a remote's refs/labnote/<nb>/versions into a local line that went
// its own way, both lines stay visible — the version history is every version reachable from the ref (merge commits
// are bookkeeping, not versions), newest first, and `@~N` and id prefixes name versions on either line. A data path
// that the two lines give different bytes (both changed it since their common version) is a conflict, recorded in the
// merge commit (conflicts.json) and open until `%version resolve PATH --take ours|theirs` writes a version that
// settles it (resolved.json).
import type { ManifestEntry } from "./data.js";
import { compareAndSwapRef, gitFs, loadGit, readRef, readTextAt, writeFilesTree, appendCommit, type TreeFiles } from "./git-store.js";

export interface HistoryEntry {
  oid: string;
  message: string;
  createdAt: string;
  /** "local" for the ref's own line; for versions that came in through a pull, the remote they came from. */
  line: string;
}

export interface ConflictSide {
  /** The latest version of that line when they were merged. */
  version: string;
  sha256: string;
  size: number;
}

export interface DataConflict {
  path: string;
  ours: ConflictSide;
  theirs: ConflictSide;
  /** The merge commit that recorded it, and the remote it came from. */
  merge: string;
  remote: string;
}

export interface ResolutionRecord {
  path: string;
  take: "ours" | "theirs";
  sha256: string;
  merge: string;
}

interface CommitNode {
  oid: string;
  parents: string[];
  message: string;
  timestamp: number;
}

async function readNode(gitdir: string, oid: string): Promise<CommitNode> {
  const git = await loadGit();
  const { commit } = await git.readCommit({ fs: gitFs(gitdir), gitdir, oid });
  return { oid, parents: commit.parent, message: commit.message, timestamp: commit.committer.timestamp };
}

/** The remote named in a pull's merge message ("merge REF from REMOTE"). */
function remoteOfMerge(message: string): string {
  return /^merge \S+ from (.+)$/m.exec(message)?.[1]?.trim() ?? "merged";
}

/** Every version reachable from `ref` (merges left out), newest first by creation time, each with its line. */
export async function versionHistory(gitdir: string, ref: string): Promise<HistoryEntry[]> {
  const head = await readRef(gitdir, ref);
  if (!head) return [];
  const nodes = new Map<string, CommitNode>();
  const line = new Map<string, string>();
  // First-parent chain first: the local line; then each merge's other parents, labelled with the merge's remote.
  const queue: [string, string][] = [];
  for (let oid: string | undefined = head; oid; ) {
    const node = await readNode(gitdir, oid);
    nodes.set(oid, node);
    line.set(oid, "local");
    for (const other of node.parents.slice(1)) queue.push([other, remoteOfMerge(node.message)]);
    oid = node.parents[0];
  }
  while (queue.length > 0) {
    const [oid, label] = queue.shift()!;
    if (line.has(oid)) continue;
    const node = await readNode(gitdir, oid);
    nodes.set(oid, node);
    line.set(oid, label);
    node.parents.forEach((parent, index) => queue.push([parent, index === 0 ? label : remoteOfMerge(node.message)]));
  }
  const out: HistoryEntry[] = [];
  for (const node of nodes.values()) {
    if (node.parents.length > 1) continue;
    const meta = await readTextAt(gitdir, node.oid, "version.json");
    const createdAt = (meta ? (JSON.parse(meta) as { createdAt?: string }).createdAt : undefined) || new Date(node.timestamp * 1000).toISOString();
    out.push({ oid: node.oid, message: node.message.trim(), createdAt, line: line.get(node.oid)! });
  }
  // Newest first; on equal times the local line first, then by id, so names are stable.
  return out.sort((a, b) => (a.createdAt < b.createdAt ? 1 : a.createdAt > b.createdAt ? -1 : a.line === b.line ? (a.oid < b.oid ? -1 : 1) : a.line === "local" ? -1 : 1));
}

async function manifestAt(gitdir: string, oid: string | null): Promise<Map<string, ManifestEntry>> {
  if (!oid) return new Map();
  const text = await readTextAt(gitdir, oid, "data.json");
  const files = text ? ((JSON.parse(text) as { files?: ManifestEntry[] }).files ?? []) : [];
  return new Map(files.map((file) => [file.path, file]));
}

/** The newest non-merge commit on a commit's first-parent chain (a merge's tree is its local side's). */
async function latestVersion(gitdir: string, oid: string): Promise<string> {
  for (let current: string | undefined = oid; current; ) {
    const node = await readNode(gitdir, current);
    if (node.parents.length <= 1) return current;
    current = node.parents[0];
  }
  return oid;
}

/** Paths both lines changed since their common version, to different bytes. */
export async function findDataConflicts(gitdir: string, ours: string, theirs: string, remote: string, merge = ""): Promise<DataConflict[]> {
  const git = await loadGit();
  const bases = await git.findMergeBase({ fs: gitFs(gitdir), gitdir, oids: [ours, theirs] }).catch(() => [] as string[]);
  const [ourVersion, theirVersion] = [await latestVersion(gitdir, ours), await latestVersion(gitdir, theirs)];
  const [base, mine, other] = [await manifestAt(gitdir, (bases as string[])[0] ?? null), await manifestAt(gitdir, ourVersion), await manifestAt(gitdir, theirVersion)];
  const conflicts: DataConflict[] = [];
  for (const [path, entry] of mine) {
    const incoming = other.get(path);
    if (!incoming || incoming.sha256 === entry.sha256) continue;
    const before = base.get(path)?.sha256;
    // One side unchanged since the common version: the other side's change is not a conflict.
    if (before === entry.sha256 || before === incoming.sha256) continue;
    conflicts.push({ path, ours: { version: ourVersion, sha256: entry.sha256, size: entry.size }, theirs: { version: theirVersion, sha256: incoming.sha256, size: incoming.size }, merge, remote });
  }
  return conflicts.sort((a, b) => (a.path < b.path ? -1 : 1));
}

/** Joins a diverged remote line into `ref` with a merge commit (local tree kept); for versions, records the conflicts. */
export async function mergeDiverged(gitdir: string, ref: string, local: string, incoming: string, remote: string): Promise<{ merged: boolean; conflicts: DataConflict[] }> {
  const git = await loadGit();
  const fs = gitFs(gitdir);
  const { commit } = await git.readCommit({ fs, gitdir, oid: local });
  const conflicts = ref.endsWith("/versions") ? await findDataConflicts(gitdir, local, incoming, remote) : [];
  let tree = commit.tree;
  if (conflicts.length > 0) {
    const { tree: entries } = await git.readTree({ fs, gitdir, oid: commit.tree });
    const conflictsBlob = await git.writeBlob({ fs, gitdir, blob: Buffer.from(`${JSON.stringify(conflicts.map(({ merge: _merge, ...rest }) => rest), null, 2)}\n`) });
    tree = await git.writeTree({ fs, gitdir, tree: [...entries.filter((entry) => entry.path !== "conflicts.json"), { mode: "100644", path: "conflicts.json", oid: conflictsBlob, type: "blob" }] });
  }
  const signature = { name: "labnote", email: "labnote@localhost", timestamp: Math.floor(Date.now() / 1000), timezoneOffset: 0 };
  const merge = await git.writeCommit({ fs, gitdir, commit: { message: `merge ${ref} from ${remote}\n`, tree, parent: [local, incoming], author: signature, committer: signature } });
  const merged = await compareAndSwapRef(gitdir, ref, local, merge);
  return { merged, conflicts: conflicts.map((conflict) => ({ ...conflict, merge })) };
}

/** Conflicts recorded by merges on the ref's first-parent chain and not settled by a later resolve. */
export async function openConflicts(gitdir: string, ref: string): Promise<DataConflict[]> {
  const settled = new Set<string>();
  const open: DataConflict[] = [];
  for (let oid: string | undefined = (await readRef(gitdir, ref)) ?? undefined; oid; ) {
    const node = await readNode(gitdir, oid);
    const resolution = await readTextAt(gitdir, oid, "resolved.json");
    if (node.parents.length <= 1 && resolution) {
      const record = JSON.parse(resolution) as ResolutionRecord;
      settled.add(`${record.merge}:${record.path}`);
    }
    if (node.parents.length > 1) {
      const recorded = await readTextAt(gitdir, oid, "conflicts.json");
      for (const conflict of recorded ? (JSON.parse(recorded) as Omit<DataConflict, "merge">[]) : []) {
        if (!settled.has(`${oid}:${conflict.path}`)) open.push({ ...conflict, merge: oid });
      }
    }
    oid = node.parents[0];
  }
  return open;
}

/** Writes the version that settles a conflict: the newest version's files with PATH's entry taken from one side. */
export async function writeResolution(gitdir: string, ref: string, conflict: DataConflict, take: "ours" | "theirs", now: Date): Promise<string> {
  const head = await readRef(gitdir, ref);
  if (!head) throw new Error(`${ref} has no versions`);
  const base = await latestVersion(gitdir, head);
  const files: TreeFiles = {};
  for (const name of ["notebook.ipynb", "env.json"]) {
    const text = await readTextAt(gitdir, base, name);
    if (text !== undefined) files[name] = text;
  }
  const data = JSON.parse((await readTextAt(gitdir, base, "data.json")) ?? '{"items":[],"files":[],"problems":[]}') as { items: unknown[]; files: ManifestEntry[]; problems: unknown[] };
  const chosen = conflict[take];
  const entry: ManifestEntry = { path: conflict.path, size: chosen.size, sha256: chosen.sha256 };
  data.files = [...data.files.filter((file) => file.path !== conflict.path), entry].sort((a, b) => (a.path < b.path ? -1 : 1));
  const message = `resolve ${conflict.path}: take ${take} (${chosen.sha256.slice(0, 12)}…)`;
  const meta = JSON.parse((await readTextAt(gitdir, base, "version.json")) ?? "{}") as Record<string, unknown>;
  files["version.json"] = `${JSON.stringify({ ...meta, message, createdAt: now.toISOString() }, null, 2)}\n`;
  files["data.json"] = `${JSON.stringify(data, null, 2)}\n`;
  files["runs.json"] = "[]\n";
  const record: ResolutionRecord = { path: conflict.path, take, sha256: chosen.sha256, merge: conflict.merge };
  files["resolved.json"] = `${JSON.stringify(record, null, 2)}\n`;
  const tree = await writeFilesTree(gitdir, files);
  return appendCommit(gitdir, ref, tree, message, now);
}
