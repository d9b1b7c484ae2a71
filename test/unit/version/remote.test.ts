// push / pull of refs/labnote/* over git smart HTTP (the git CLI's http-backend behind the CGI server in
// test/helpers/git-http.ts) and of the data cache to a remote directory.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellRecord } from "../../../kernel/types.js";
import { versionApi } from "../../../magics/version/api.js";
import { VersionSession } from "../../../magics/version/session.js";
import { gitHttpServer } from "../../helpers/git-http.js";
import { fsck, git, tempProject } from "./helpers.js";

const sha = (data: string) => createHash("sha256").update(data).digest("hex");

const cleanups: (() => void)[] = [];
let server: Server;
let baseUrl: string;
let remoteRoot: string;

beforeAll(async () => {
  const remote = tempProject("labnote-remote-");
  cleanups.push(remote.cleanup);
  remoteRoot = remote.dir;
  git(remoteRoot, "init", "-q", "--bare", "shared.git");
  git(join(remoteRoot, "shared.git"), "config", "http.receivepack", "true");
  ({ server, url: baseUrl } = await gitHttpServer(remoteRoot));
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  cleanups.forEach((cleanup) => cleanup());
});

async function machine(name: string) {
  const temp = tempProject(`labnote-${name}-`);
  cleanups.push(temp.cleanup);
  const session = new VersionSession({ projectDir: temp.dir, kernelId: name });
  return { dir: temp.dir, session, api: versionApi(() => session) };
}

async function runCell(session: VersionSession, code: string, count: number, body: () => void = () => undefined): Promise<void> {
  const hooks = session.hooks();
  const startedAt = new Date();
  hooks.beforeCell!({ code, executionCount: count, startedAt });
  body();
  const record: CellRecord = { code, executionCount: count, startedAt, durationMs: 1, status: "ok", outputs: { streams: 1, displays: 0, errors: 0, mimeTypes: [] } };
  hooks.afterCell!(record);
  await session.flush();
}

describe("%version push / pull", () => {
  it("pushes refs/labnote/* to a git http-backend remote and the data cache to a directory; another machine pulls both", async () => {
    const alice = await machine("alice");
    mkdirSync(join(alice.dir, "data"));
    writeFileSync(join(alice.dir, "data/train.csv"), "a,b\n1,2\n");
    await runCell(alice.session, "load()", 1, () => void readFileSync(join(alice.dir, "data/train.csv")));
    const v1 = await alice.api.commit("alice v1");
    const dataRemote = join(remoteRoot, "data-cache");
    const pushed = await alice.api.push(`${baseUrl}/shared.git`, { data: pathToFileURL(dataRemote).href });
    expect(pushed.refs).toEqual([
      { ref: "refs/labnote/notebook/cells", status: "pushed" },
      { ref: "refs/labnote/notebook/versions", status: "pushed" },
    ]);
    expect(pushed.data!.objects).toBe(1);
    expect(existsSync(join(dataRemote, sha("a,b\n1,2\n").slice(0, 2), sha("a,b\n1,2\n").slice(2)))).toBe(true);
    expect(git(join(remoteRoot, "shared.git"), "log", "--format=%s", "refs/labnote/notebook/versions").trim()).toBe("alice v1");
    expect(fsck(join(remoteRoot, "shared.git")).code).toBe(0);

    const bob = await machine("bob");
    await runCell(bob.session, "bob's own cell", 1);
    const pulled = await bob.api.pull(`${baseUrl}/shared.git`, { data: dataRemote });
    expect(pulled.refs).toEqual([
      { ref: "refs/labnote/notebook/cells", status: "merged" },
      { ref: "refs/labnote/notebook/versions", status: "new" },
    ]);
    expect(pulled.data!.objects).toBe(1);
    expect(await bob.api.resolve("@")).toBe(v1.id);
    // Bob's own snapshot and Alice's are both in his history after the merge.
    const bobLog = git(bob.dir, "log", "--format=%s", "refs/labnote/notebook/cells");
    expect(bobLog).toContain("bob's own cell");
    expect(bobLog).toContain("load()");
    const checkout = await bob.api.checkout("@", { data: true });
    expect(checkout.data.restored).toEqual(["data/train.csv"]);
    expect(readFileSync(join(bob.dir, "data/train.csv"), "utf8")).toBe("a,b\n1,2\n");
    expect(git(bob.dir, "for-each-ref", "--format=%(refname)").trim().split("\n")).toEqual(["refs/labnote/notebook/cells", "refs/labnote/notebook/versions"]);
    expect(fsck(bob.dir).code).toBe(0);

    // Bob pushes his merge back; Alice forgets the data, which reaches the remote directory too.
    const back = await bob.api.push(`${baseUrl}/shared.git`);
    expect(back.refs.find((ref) => ref.ref.endsWith("/cells"))!.status).toBe("pushed");
    const forgotten = await alice.api.forget("data/train.csv", "withdrawn consent");
    expect(forgotten.removedFrom).toHaveLength(2);
    expect(existsSync(join(dataRemote, sha("a,b\n1,2\n").slice(0, 2), sha("a,b\n1,2\n").slice(2)))).toBe(false);
    const bobAgain = await bob.api.pull(`${baseUrl}/shared.git`, { data: dataRemote });
    expect(bobAgain.data!.tombstonesApplied).toBe(1);
    writeFileSync(join(bob.dir, "data/train.csv"), "changed\n");
    const after = await bob.api.checkout("@", { data: true });
    expect(after.data.missing[0]!.message).toMatch(/^data\/train.csv: removed on \d{4}-\d{2}-\d{2}: withdrawn consent$/);
    expect(fsck(alice.dir).code).toBe(0);
    expect(fsck(bob.dir).code).toBe(0);
    expect(fsck(join(remoteRoot, "shared.git")).code).toBe(0);
  });
});
