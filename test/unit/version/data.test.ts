import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { hashData, problemFor, waitForCacheCopies } from "../../../magics/version/data.js";
import { HashError, HashPool } from "../../../magics/version/hash-pool.js";
import { StateCache } from "../../../magics/version/state-cache.js";
import { tempProject } from "./helpers.js";

const sha = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await waitForCacheCopies();
  cleanups.splice(0).forEach((cleanup) => cleanup());
});

function project() {
  const temp = tempProject();
  cleanups.push(temp.cleanup);
  return temp.dir;
}

describe("data manifests", () => {
  it("hashes files and directories with sha256 and stores the bytes in the content-addressed cache", async () => {
    const dir = project();
    mkdirSync(join(dir, "data/sub"), { recursive: true });
    writeFileSync(join(dir, "data/a.csv"), "x,y\n1,2\n");
    writeFileSync(join(dir, "data/sub/b.txt"), "hello");
    writeFileSync(join(dir, "single.json"), "{}");
    const manifest = await hashData(dir, ["data", "single.json"]);
    expect(manifest.files).toEqual([
      { path: "data/a.csv", size: 8, sha256: sha("x,y\n1,2\n") },
      { path: "data/sub/b.txt", size: 5, sha256: sha("hello") },
      { path: "single.json", size: 2, sha256: sha("{}") },
    ]);
    expect(manifest.items.map((item) => [item.path, item.kind, item.files, item.size])).toEqual([
      ["data", "dir", 2, 13],
      ["single.json", "file", 1, 2],
    ]);
    const cached = join(dir, ".labnote/cache", sha("hello").slice(0, 2), sha("hello").slice(2));
    expect(readFileSync(cached, "utf8")).toBe("hello");
  });

  it("never hashes an unchanged file twice (state cache keyed by path, size, mtime, inode), across processes", async () => {
    const dir = project();
    writeFileSync(join(dir, "a.bin"), "one");
    writeFileSync(join(dir, "b.bin"), "two");
    const first = await hashData(dir, ["a.bin", "b.bin"]);
    expect(first.hashedFiles).toBe(2);
    const again = await hashData(dir, ["a.bin", "b.bin"], { stateCache: StateCache.forProject(dir).load() });
    expect(again.hashedFiles).toBe(0);
    expect(again.files).toEqual(first.files);
    writeFileSync(join(dir, "b.bin"), "TWO");
    utimesSync(join(dir, "b.bin"), new Date(), new Date(Date.now() + 5000));
    const changed = await hashData(dir, ["a.bin", "b.bin"]);
    expect(changed.hashedFiles).toBe(1);
    expect(changed.files[1]!.sha256).toBe(sha("TWO"));
  });

  it("a directory re-snapshot hashes nothing when nothing changed, and exactly the files that did", async () => {
    const dir = project();
    mkdirSync(join(dir, "data/deep/er"), { recursive: true });
    for (let index = 0; index < 30; index++) writeFileSync(join(dir, "data", index % 2 ? "deep/er" : "", `f ${index}.txt`), `row ${index}\n`);
    const cold = await hashData(dir, ["data"]);
    expect(cold.hashedFiles).toBe(30);
    const warm = await hashData(dir, ["data"], { stateCache: StateCache.forProject(dir).load() });
    expect(warm.hashedFiles).toBe(0);
    expect(warm.files).toEqual(cold.files);
    writeFileSync(join(dir, "data/deep/er/f 3.txt"), "changed\n");
    const changed = await hashData(dir, ["data"], { stateCache: StateCache.forProject(dir).load() });
    expect(changed.hashedFiles).toBe(1);
    expect(changed.files.find((file) => file.path === "data/deep/er/f 3.txt")!.sha256).toBe(sha("changed\n"));
    expect(changed.items[0]!.sha256).not.toBe(cold.items[0]!.sha256);
  });

  it("explains symlinks leaving the project, broken links, pipes, missing files and paths outside", async () => {
    const dir = project();
    mkdirSync(join(dir, "data"));
    writeFileSync(join(dir, "data/ok.txt"), "ok");
    symlinkSync("/etc/hostname", join(dir, "data/outside"));
    symlinkSync(join(dir, "nowhere"), join(dir, "data/broken"));
    execFileSync("mkfifo", [join(dir, "data/pipe")]);
    const manifest = await hashData(dir, ["data", "missing.csv", "../elsewhere.csv"]);
    expect(manifest.files.map((file) => file.path)).toEqual(["data/ok.txt"]);
    const messages = manifest.problems.map((problem) => problem.message).join("\n");
    expect(messages).toMatch(/data\/outside is a symlink to \/etc\/hostname, outside the project: copy the data into the project/);
    expect(messages).toMatch(/data\/broken is a broken symlink/);
    expect(messages).toMatch(/data\/pipe is not a regular file/);
    expect(messages).toMatch(/missing.csv does not exist/);
    expect(messages).toMatch(/outside the project/);
  });

  it("detects a file that changes while it is hashed: re-reads it, and gives up with a clear message if it never settles", async () => {
    const dir = project();
    const path = join(dir, "growing.bin");
    writeFileSync(path, Buffer.alloc(4 * 1024 * 1024 + 17, 7));
    const pool = new HashPool(1);
    try {
      // Written once during the first read: read again, and the hash is of the final bytes.
      const settled = await pool.hash({ path, simulateWritesDuringRead: 1 });
      expect(settled.rereads).toBe(1);
      expect(settled.sha256).toBe(sha(readFileSync(path)));
      expect(settled.size).toBe(4 * 1024 * 1024 + 18);
      // Written during every read: no torn hash is ever recorded.
      const busy = await pool.hash({ path, simulateWritesDuringRead: 100 }).catch((error: unknown) => error);
      expect(busy).toBeInstanceOf(HashError);
      expect((busy as HashError).code).toBe("EBUSY");
      expect(problemFor("growing.bin", busy).message).toBe("growing.bin kept changing while it was hashed: wait until whatever writes it has finished, then snapshot again.");
    } finally {
      await pool.close();
    }
  });

  it("spreads work over a pool and gives the same hashes as a single thread", async () => {
    const dir = project();
    mkdirSync(join(dir, "many"));
    for (let index = 0; index < 40; index++) writeFileSync(join(dir, "many", `f${index}.bin`), Buffer.alloc(10_000 + index * 1000, index));
    const pool = new HashPool(3);
    const manifest = await hashData(dir, ["many"], { pool, cacheMode: "none" });
    await pool.close();
    expect(manifest.files).toHaveLength(40);
    for (const file of manifest.files) expect(file.sha256).toBe(sha(readFileSync(join(dir, file.path))));
  });
});

describe("the data cache keeps the bytes that were hashed", () => {
  it("link-then-copy (default): the cache gets its own copy, so rewriting the file in place leaves the version intact", async () => {
    const dir = project();
    writeFileSync(join(dir, "table.csv"), "v1\n");
    const manifest = await hashData(dir, ["table.csv"]);
    const object = join(dir, ".labnote/cache", manifest.files[0]!.sha256.slice(0, 2), manifest.files[0]!.sha256.slice(2));
    expect(await waitForCacheCopies()).toEqual([]);
    expect(statSync(object).nlink).toBe(1);
    writeFileSync(join(dir, "table.csv"), "v2 rewritten in place\n");
    expect(readFileSync(object, "utf8")).toBe("v1\n");
  });

  it("LABNOTE_CACHE=link style hard links share the inode: an in-place rewrite is caught, never restored as the old version", async () => {
    const dir = project();
    writeFileSync(join(dir, "table.csv"), "v1\n");
    const manifest = await hashData(dir, ["table.csv"], { cacheMode: "link" });
    const object = join(dir, ".labnote/cache", manifest.files[0]!.sha256.slice(0, 2), manifest.files[0]!.sha256.slice(2));
    expect(statSync(object).nlink).toBe(2);
    writeFileSync(join(dir, "table.csv"), "v2\n");
    expect(sha(readFileSync(object))).not.toBe(manifest.files[0]!.sha256);
  });
});
