// push / pull of refs/labnote/* over git smart HTTP (the git CLI's http-backend behind a tiny CGI server written
// here) and of the data cache to a remote directory.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellRecord } from "../../../kernel/types.js";
import { versionApi } from "../../../magics/version/api.js";
import { VersionSession } from "../../../magics/version/session.js";
import { fsck, git, tempProject } from "./helpers.js";

const sha = (data: string) => createHash("sha256").update(data).digest("hex");

/** Serves every bare repository under `root` with `git http-backend` as CGI on 127.0.0.1. */
function gitHttpServer(root: string): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://127.0.0.1");
    const cgi = spawn("git", ["http-backend"], {
      env: {
        ...process.env,
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: request.method ?? "GET",
        CONTENT_TYPE: request.headers["content-type"] ?? "",
        CONTENT_LENGTH: request.headers["content-length"] ?? "",
        HTTP_CONTENT_ENCODING: request.headers["content-encoding"] ?? "",
        GIT_PROTOCOL: String(request.headers["git-protocol"] ?? ""),
        REMOTE_USER: "labnote-test",
        REMOTE_ADDR: "127.0.0.1",
      },
    });
    request.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on("data", (chunk: Buffer) => chunks.push(chunk));
    cgi.on("close", () => {
      const output = Buffer.concat(chunks);
      const split = output.indexOf("\r\n\r\n");
      const headerText = output.subarray(0, split).toString("utf8");
      let status = 200;
      for (const line of headerText.split("\r\n")) {
        const [name, ...rest] = line.split(":");
        const value = rest.join(":").trim();
        if (name!.toLowerCase() === "status") status = Number(value.split(" ")[0]);
        else if (name) response.setHeader(name, value);
      }
      response.writeHead(status);
      response.end(output.subarray(split + 4));
    });
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({ server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

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
