// %version forget --scrub: rewrites every refs/labnote/* history whose stored files (cell records, notebooks as
// executed, runs) or commit messages hold forgotten content. Commits are rewritten parents first, keeping authors,
// dates and every untouched object; each ref moves by compare-and-swap. Also the search that proves it worked.
import type { ReadCommitResult, TreeEntry } from "isomorphic-git";
import { containsForgotten, redact, type ForgottenContent } from "./forget-content.js";
import { compareAndSwapRef, gitFs, listRefs, loadGit } from "./git-store.js";

export interface ScrubResult {
  refs: { ref: string; before: string; after: string }[];
  commitsRewritten: number;
  filesRedacted: number;
  /** Old commit id → new one, for everything that refers to versions by id. */
  rewritten: Map<string, string>;
}

export interface StoredHit {
  ref: string;
  commit: string;
  path: string;
}

async function allCommits(gitdir: string, heads: string[]): Promise<Map<string, ReadCommitResult>> {
  const git = await loadGit();
  const fs = gitFs(gitdir);
  const commits = new Map<string, ReadCommitResult>();
  const stack = [...heads];
  while (stack.length > 0) {
    const oid = stack.pop()!;
    if (commits.has(oid)) continue;
    const commit = await git.readCommit({ fs, gitdir, oid });
    commits.set(oid, commit);
    stack.push(...commit.commit.parent);
  }
  return commits;
}

/** Commits ordered so that every commit comes after its parents. */
function parentsFirst(commits: Map<string, ReadCommitResult>): string[] {
  const order: string[] = [];
  const done = new Set<string>();
  for (const start of commits.keys()) {
    const stack: [string, boolean][] = [[start, false]];
    while (stack.length > 0) {
      const [oid, expanded] = stack.pop()!;
      if (done.has(oid)) continue;
      if (expanded) {
        done.add(oid);
        order.push(oid);
        continue;
      }
      stack.push([oid, true]);
      for (const parent of commits.get(oid)?.commit.parent ?? []) if (!done.has(parent) && commits.has(parent)) stack.push([parent, false]);
    }
  }
  return order;
}

/** Visits every blob of every commit reachable from refs/labnote/* (each tree and blob once). */
export async function findInLabnoteHistory(gitdir: string, content: ForgottenContent, limit = 50): Promise<StoredHit[]> {
  const git = await loadGit();
  const fs = gitFs(gitdir);
  const refs = await listRefs(gitdir, "refs/labnote/");
  const hits: StoredHit[] = [];
  const seenTrees = new Set<string>();
  const blobHit = new Map<string, boolean>();
  for (const [ref, head] of refs) {
    const commits = await allCommits(gitdir, [head]);
    for (const [oid, { commit }] of commits) {
      if (containsForgotten(content, commit.message)) hits.push({ ref, commit: oid, path: "(commit message)" });
      const walk = async (tree: string, prefix: string): Promise<void> => {
        if (seenTrees.has(tree)) return;
        seenTrees.add(tree);
        for (const entry of (await git.readTree({ fs, gitdir, oid: tree })).tree) {
          if (entry.type === "tree") await walk(entry.oid, `${prefix}${entry.path}/`);
          else if (entry.type === "blob") {
            let hit = blobHit.get(entry.oid);
            if (hit === undefined) {
              const { blob } = await git.readBlob({ fs, gitdir, oid: entry.oid });
              hit = containsForgotten(content, Buffer.from(blob).toString("utf8"));
              blobHit.set(entry.oid, hit);
            }
            if (hit && hits.length < limit) hits.push({ ref, commit: oid, path: `${prefix}${entry.path}` });
          }
        }
      };
      await walk(commit.tree, "");
    }
  }
  return hits;
}

export async function scrubLabnoteHistory(gitdir: string, content: ForgottenContent, mark: string): Promise<ScrubResult> {
  const git = await loadGit();
  const fs = gitFs(gitdir);
  const refs = await listRefs(gitdir, "refs/labnote/");
  const commits = await allCommits(gitdir, [...refs.values()]);
  const blobs = new Map<string, string>();
  const trees = new Map<string, string>();
  let filesRedacted = 0;

  const rewriteBlob = async (oid: string): Promise<string> => {
    const known = blobs.get(oid);
    if (known) return known;
    const { blob } = await git.readBlob({ fs, gitdir, oid });
    const text = Buffer.from(blob).toString("utf8");
    let next = oid;
    if (containsForgotten(content, text)) {
      next = await git.writeBlob({ fs, gitdir, blob: Buffer.from(redact(content, text, mark), "utf8") });
      filesRedacted++;
    }
    blobs.set(oid, next);
    return next;
  };
  const rewriteTree = async (oid: string): Promise<string> => {
    const known = trees.get(oid);
    if (known) return known;
    const { tree } = await git.readTree({ fs, gitdir, oid });
    let changed = false;
    const entries: TreeEntry[] = [];
    for (const entry of tree) {
      const next = entry.type === "blob" ? await rewriteBlob(entry.oid) : entry.type === "tree" ? await rewriteTree(entry.oid) : entry.oid;
      if (next !== entry.oid) changed = true;
      entries.push({ ...entry, oid: next });
    }
    const result = changed ? await git.writeTree({ fs, gitdir, tree: entries }) : oid;
    trees.set(oid, result);
    return result;
  };

  const rewritten = new Map<string, string>();
  for (const oid of parentsFirst(commits)) {
    const { commit } = commits.get(oid)!;
    const tree = await rewriteTree(commit.tree);
    const parent = commit.parent.map((parentOid) => rewritten.get(parentOid) ?? parentOid);
    const message = containsForgotten(content, commit.message) ? redact(content, commit.message, mark) : commit.message;
    const same = tree === commit.tree && message === commit.message && parent.every((value, index) => value === commit.parent[index]);
    rewritten.set(oid, same ? oid : await git.writeCommit({ fs, gitdir, commit: { ...commit, tree, parent, message } }));
  }
  const result: ScrubResult = { refs: [], commitsRewritten: [...rewritten].filter(([before, after]) => before !== after).length, filesRedacted, rewritten: new Map([...rewritten].filter(([before, after]) => before !== after)) };
  for (const [ref, before] of refs) {
    const after = rewritten.get(before) ?? before;
    if (after === before) continue;
    if (!(await compareAndSwapRef(gitdir, ref, before, after))) throw new Error(`${ref} moved while it was being scrubbed (another kernel wrote a snapshot): run %version forget … --scrub again.`);
    result.refs.push({ ref, before, after });
  }
  return result;
}
