// Diverged histories: two machines commit versions on their own after a shared one; a pull keeps both lines (log,
// @~N, prefixes, the git CLI), reports the data path both changed differently as a conflict (pull and diff), and
// %version resolve settles it with a version that takes one side's bytes.
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellRecord } from "../../../kernel/types.js";
import { versionApi } from "../../../magics/version/api.js";
import { VersionSession } from "../../../magics/version/session.js";
import { gitHttpServer } from "../../helpers/git-http.js";
import { fsck, git, tempProject } from "./helpers.js";

const sha = (data: string) => createHash("sha256").update(data).digest("hex");
const cleanups: (() => void)[] = [];
let server: Server;
let remoteUrl: string;
let dataRemote: string;

beforeAll(async () => {
  const remote = tempProject("labnote-diverged-remote-");
  cleanups.push(remote.cleanup);
  git(remote.dir, "init", "-q", "--bare", "shared.git");
  git(join(remote.dir, "shared.git"), "config", "http.receivepack", "true");
  dataRemote = join(remote.dir, "data-cache");
  const started = await gitHttpServer(remote.dir);
  server = started.server;
  remoteUrl = `${started.url}/shared.git`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  cleanups.forEach((cleanup) => cleanup());
});

function machine(name: string) {
  const temp = tempProject(`labnote-${name}-`);
  cleanups.push(temp.cleanup);
  mkdirSync(join(temp.dir, "data"));
  const session = new VersionSession({ projectDir: temp.dir, kernelId: name });
  return { dir: temp.dir, session, api: versionApi(() => session) };
}

/** One cell that writes the given data files and reads them (so the version records them). */
async function cellWriting(session: VersionSession, dir: string, files: Record<string, string>, count: number): Promise<void> {
  const hooks = session.hooks();
  const startedAt = new Date();
  hooks.beforeCell!({ code: `write ${Object.keys(files).join(", ")}`, executionCount: count, startedAt });
  for (const [path, text] of Object.entries(files)) {
    writeFileSync(join(dir, path), text);
    readFileSync(join(dir, path));
  }
  const record: CellRecord = { code: "write", executionCount: count, startedAt, durationMs: 1, status: "ok", outputs: { streams: 0, displays: 0, errors: 0, mimeTypes: [] } };
  hooks.afterCell!(record);
  await session.flush();
}

describe("diverged histories", () => {
  it("keeps both lines after a pull, names versions on either, reports the conflicting path and settles it with resolve", async () => {
    const alice = machine("alice");
    await cellWriting(alice.session, alice.dir, { "data/train.csv": "x,y\n1,1\n", "data/labels.csv": "id,label\n1,a\n" }, 1);
    const base = await alice.api.commit("base");
    await alice.api.push(remoteUrl, { data: dataRemote });

    const bob = machine("bob");
    await bob.api.pull(remoteUrl, { data: dataRemote });
    await cellWriting(bob.session, bob.dir, { "data/train.csv": "x,y\n1,1\n2,4\n", "data/labels.csv": "id,label\n1,b\n" }, 1);
    const bobVersion = await bob.api.commit("bob adds a row");
    expect((await bob.api.push(remoteUrl, { data: dataRemote })).refs.every((ref) => ref.status === "pushed")).toBe(true);

    // Alice changes train.csv her own way, and leaves labels.csv as it was.
    await cellWriting(alice.session, alice.dir, { "data/train.csv": "x,y\n1,1\n3,9\n" }, 2);
    const aliceVersion = await alice.api.commit("alice adds another row");
    const pulled = await alice.api.pull(remoteUrl, { data: dataRemote });
    expect(pulled.refs.find((ref) => ref.ref.endsWith("/versions"))!.status).toBe("merged with 1 data conflict(s)");
    // labels.csv only changed on Bob's side: not a conflict.
    expect(pulled.conflicts).toEqual([
      expect.objectContaining({
        path: "data/train.csv",
        ours: { version: aliceVersion.id, sha256: sha("x,y\n1,1\n3,9\n"), size: 12 },
        theirs: { version: bobVersion.id, sha256: sha("x,y\n1,1\n2,4\n"), size: 12 },
        remote: remoteUrl,
      }),
    ]);

    // Both lines in the log, newest first, with where each came from; @~N and prefixes reach both.
    const log = await alice.api.log();
    expect(log.map((entry) => [entry.message, entry.line])).toEqual([
      ["alice adds another row", "local"],
      ["bob adds a row", remoteUrl],
      ["base", "local"],
    ]);
    expect(await alice.api.resolve("@~1")).toBe(bobVersion.id);
    expect(await alice.api.resolve(bobVersion.id.slice(0, 8))).toBe(bobVersion.id);
    expect(await alice.api.resolve("@~2")).toBe(base.id);
    expect(git(alice.dir, "log", "--format=%s", "refs/labnote/notebook/versions")).toContain("bob adds a row");

    const diff = await alice.api.diff("@~1", "@");
    expect(diff.conflicts!.map((conflict) => conflict.path)).toEqual(["data/train.csv"]);
    await expect(alice.api.resolveConflict("data/labels.csv", "ours")).rejects.toThrow(/data\/labels.csv has no open data conflict; these do: data\/train.csv/);

    const settled = await alice.api.resolveConflict("data/train.csv", "theirs");
    expect(settled.file).toEqual({ restored: true, message: "data/train.csv now holds the chosen bytes" });
    expect(readFileSync(join(alice.dir, "data/train.csv"), "utf8")).toBe("x,y\n1,1\n2,4\n");
    expect(await alice.api.conflicts()).toEqual([]);
    expect(await alice.api.resolve("@")).toBe(settled.version);
    const resolution = await alice.api.show("@");
    expect(resolution.message).toBe(`resolve data/train.csv: take theirs (${sha("x,y\n1,1\n2,4\n").slice(0, 12)}…)`);
    expect(resolution.data.files.find((file) => file.path === "data/train.csv")!.sha256).toBe(sha("x,y\n1,1\n2,4\n"));
    expect((await alice.api.diff("@~1", "@")).conflicts).toEqual([]);
    expect(fsck(alice.dir).code).toBe(0);

    // Bob pulls Alice's merged, resolved history: a fast-forward, no new conflict.
    expect((await alice.api.push(remoteUrl)).refs.every((ref) => ref.status === "pushed")).toBe(true);
    const bobPull = await bob.api.pull(remoteUrl, { data: dataRemote });
    expect(bobPull.refs.find((ref) => ref.ref.endsWith("/versions"))!.status).toBe("fast-forwarded");
    expect(bobPull.conflicts).toEqual([]);
    expect(await bob.api.resolve("@")).toBe(settled.version);
  });
});
