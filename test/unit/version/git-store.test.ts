import { spawn } from "node:child_process";
import { existsSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { appendCommit, compareAndSwapRef, findOrInitRepository, firstParentLog, readRef, writeFilesTree } from "../../../magics/version/git-store.js";
import { fsck, git, tempProject } from "./helpers.js";

const GIT_STORE = resolve(__dirname, "../../../magics/version/git-store.ts");
const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));

function project() {
  const temp = tempProject();
  cleanups.push(temp.cleanup);
  return temp.dir;
}

/** A child process that appends `count` commits to one ref (a second kernel snapshotting into the same repo). */
function committer(dir: string, label: string, count: number): ReturnType<typeof spawn> {
  const script = join(dir, `${label}.mts`);
  writeFileSync(
    script,
    `import { appendCommit, findOrInitRepository, writeFilesTree } from ${JSON.stringify(GIT_STORE)};
const repo = await findOrInitRepository(${JSON.stringify(dir)});
for (let i = 0; i < ${count}; i++) {
  const tree = await writeFilesTree(repo.gitdir, { "cell.ts": "// ${label} " + i + "\\n", "cell.json": JSON.stringify({ i, label: "${label}" }) });
  await appendCommit(repo.gitdir, "refs/labnote/nb/cells", tree, "${label} " + i, new Date());
  process.stdout.write(".");
}
`,
  );
  return spawn(process.execPath, ["--import", "tsx", script], { cwd: resolve(__dirname, "../../.."), stdio: ["ignore", "pipe", "inherit"] });
}

function exited(child: ReturnType<typeof spawn>): Promise<number | null> {
  return new Promise((resolveExit) => child.on("exit", (code) => resolveExit(code)));
}

describe("git writing on refs/labnote/*", () => {
  it("creates a repository when there is none and writes commits git reads, without touching HEAD, branches or index", async () => {
    const dir = project();
    const repo = await findOrInitRepository(dir);
    expect(repo.created).toBe(true);
    const tree = await writeFilesTree(repo.gitdir, { "cell.ts": "const x = 1;\n", "data/manifest.json": "[]\n" });
    const oid = await appendCommit(repo.gitdir, "refs/labnote/nb/cells", tree, "cell [1] ok", new Date(1_700_000_000_000));
    expect(git(dir, "log", "--format=%H %s", "refs/labnote/nb/cells").trim()).toBe(`${oid} cell [1] ok`);
    expect(git(dir, "show", "refs/labnote/nb/cells:data/manifest.json")).toBe("[]\n");
    expect(git(dir, "for-each-ref", "--format=%(refname)").trim()).toBe("refs/labnote/nb/cells");
    expect(existsSync(join(dir, ".git/index"))).toBe(false);
    expect(fsck(dir).code).toBe(0);
  });

  it("uses the enclosing repository and leaves the user's branch, index and working tree alone", async () => {
    const dir = project();
    git(dir, "init", "-q", "-b", "main");
    writeFileSync(join(dir, "README.md"), "hi\n");
    git(dir, "add", "README.md");
    git(dir, "commit", "-q", "-m", "user commit");
    const head = git(dir, "rev-parse", "HEAD");
    const index = readFileSync(join(dir, ".git/index"));
    const repo = await findOrInitRepository(join(dir));
    expect(repo.created).toBe(false);
    const tree = await writeFilesTree(repo.gitdir, { "cell.ts": "1\n" });
    await appendCommit(repo.gitdir, "refs/labnote/nb/cells", tree, "snap", new Date());
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
    expect(readFileSync(join(dir, ".git/index"))).toEqual(index);
    expect(git(dir, "status", "--porcelain")).toBe("");
    expect(fsck(dir).code).toBe(0);
  });

  it("compare-and-swap refuses a stale expected value and refuses refs outside refs/labnote/", async () => {
    const dir = project();
    const repo = await findOrInitRepository(dir);
    const tree = await writeFilesTree(repo.gitdir, { a: "1" });
    const first = await appendCommit(repo.gitdir, "refs/labnote/x/cells", tree, "one", new Date());
    expect(await compareAndSwapRef(repo.gitdir, "refs/labnote/x/cells", null, first)).toBe(false);
    await expect(compareAndSwapRef(repo.gitdir, "refs/heads/main", null, first)).rejects.toThrow(/only writes refs under refs\/labnote/);
    expect(await readRef(repo.gitdir, "refs/labnote/x/cells")).toBe(first);
  });

  it("two kernels snapshotting into one repository lose no snapshot", async () => {
    const dir = project();
    await findOrInitRepository(dir);
    const children = [committer(dir, "alpha", 25), committer(dir, "beta", 25)];
    expect(await Promise.all(children.map(exited))).toEqual([0, 0]);
    const messages = git(dir, "log", "--format=%s", "refs/labnote/nb/cells").trim().split("\n");
    expect(messages).toHaveLength(50);
    for (const label of ["alpha", "beta"]) for (let i = 0; i < 25; i++) expect(messages).toContain(`${label} ${i}`);
    expect(fsck(dir).code).toBe(0);
  });

  it("kill -9 during commits leaves the ref at a complete commit and fsck clean", async () => {
    const dir = project();
    const repo = await findOrInitRepository(dir);
    for (const delay of [150, 400, 700]) {
      const before = await readRef(repo.gitdir, "refs/labnote/nb/cells");
      const child = committer(dir, `victim${delay}`, 100_000);
      // Kill once it has demonstrably started committing.
      await new Promise<void>((resolveStart) => child.stdout!.once("data", () => resolveStart()));
      await new Promise((resolveWait) => setTimeout(resolveWait, delay));
      child.kill("SIGKILL");
      await exited(child);
      const after = await readRef(repo.gitdir, "refs/labnote/nb/cells");
      expect(after).not.toBe(before);
      const log = await firstParentLog(repo.gitdir, "refs/labnote/nb/cells");
      expect(log[0]!.oid).toBe(after);
      expect(git(dir, "log", "--format=%s", "-1", "refs/labnote/nb/cells")).toMatch(/^victim/);
      const check = fsck(dir);
      expect(check.output).not.toMatch(/error|corrupt|missing|broken/i);
      expect(check.code).toBe(0);
    }
    // A lock left behind by the killed process must not block the next kernel for long.
    const tree = await writeFilesTree(repo.gitdir, { "cell.ts": "after\n" });
    const lock = join(repo.gitdir, "refs/labnote/nb/cells.lock");
    writeFileSync(lock, "");
    utimesSync(lock, new Date(Date.now() - 10_000), new Date(Date.now() - 10_000));
    await expect(appendCommit(repo.gitdir, "refs/labnote/nb/cells", tree, "after crash", new Date())).resolves.toMatch(/^[0-9a-f]{40}$/);
    expect(existsSync(lock)).toBe(false);
    expect(fsck(dir).code).toBe(0);
  }, 120_000);
});
