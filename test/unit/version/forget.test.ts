// %version forget: what it searches for (rows, JSON-escaped), and --scrub end to end over a git HTTP remote: the
// rewritten history is fsck-clean, names the remote that needs a forced push, and after `push --force` no object
// reachable from the remote's refs/labnote holds the rows; a PostgreSQL store's samples are redacted too.
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellRecord } from "../../../kernel/types.js";
import { versionApi } from "../../../magics/version/api.js";
import { containsForgotten, needlesOf, redact, redactionMark } from "../../../magics/version/forget-content.js";
import { VersionSession } from "../../../magics/version/session.js";
import { gitHttpServer } from "../../helpers/git-http.js";
import { fsck, git, tempProject } from "./helpers.js";

const ROWS = ["7,Ada Lovelace,ada.lovelace@example.org", "8,Grace Hopper,grace.hopper@example.org"];
const PEOPLE = `id,name,email\n${ROWS.join("\n")}\n1,x,y\n`;
const cleanups: (() => void)[] = [];
let server: Server;
let baseUrl: string;
let remoteRoot: string;

beforeAll(async () => {
  const remote = tempProject("labnote-forget-remote-");
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

function project() {
  const temp = tempProject("labnote-forget-");
  cleanups.push(temp.cleanup);
  mkdirSync(join(temp.dir, "data"));
  writeFileSync(join(temp.dir, "data/people.csv"), PEOPLE);
  const session = new VersionSession({ projectDir: temp.dir, kernelId: "forget-test" });
  return { dir: temp.dir, session, api: versionApi(() => session) };
}

/** A cell whose code holds a row (as a user pasting one would) and that reads the file. */
async function cellReadingPeople(session: VersionSession, dir: string): Promise<void> {
  const hooks = session.hooks();
  const startedAt = new Date();
  const code = `const row = "${ROWS[0]}";\nreadFileSync("data/people.csv")`;
  hooks.beforeCell!({ code, executionCount: 1, startedAt });
  readFileSync(join(dir, "data/people.csv"));
  const record: CellRecord = { code, executionCount: 1, startedAt, durationMs: 1, status: "ok", outputs: { streams: 0, displays: 0, errors: 0, mimeTypes: [] } };
  hooks.afterCell!(record);
  await session.flush();
}

/** Every object reachable from refs/labnote/* of a repository, as bytes (git CLI). */
function labnoteObjects(gitDir: string): Buffer[] {
  const refs = git(gitDir, "for-each-ref", "--format=%(refname)", "refs/labnote/").trim().split("\n").filter(Boolean);
  const oids = git(gitDir, "rev-list", "--objects", ...refs).trim().split("\n").map((line) => line.split(" ")[0]!);
  return oids.map((oid) => execFileSync("git", ["cat-file", "-p", oid], { cwd: gitDir }));
}

describe("what forget searches for", () => {
  it("the whole content and each row (not the header, not short rows), raw and JSON-escaped; redaction keeps JSON valid", () => {
    const content = needlesOf([{ bytes: Buffer.from('id,name\n7,"Ada, Countess",x@example.org\n1,x\n'), header: true }]);
    expect(content.needles).toContain('7,"Ada, Countess",x@example.org');
    expect(content.needles).toContain('7,\\"Ada, Countess\\",x@example.org');
    expect(content.needles).not.toContain("id,name");
    expect(content.needles).not.toContain("1,x");
    const stored = JSON.stringify({ outputs: [{ text: ['7,"Ada, Countess",x@example.org\n', "1,x\n"] }] });
    expect(containsForgotten(content, stored)).toBe(true);
    const redacted = redact(content, stored, redactionMark('withdrawn "consent"', new Date("2026-03-04T00:00:00Z")));
    expect(JSON.parse(redacted)).toEqual({ outputs: [{ text: ["[forgotten on 2026-03-04: withdrawn consent]\n", "1,x\n"] }] });
    expect(containsForgotten(content, redacted)).toBe(false);
  });
});

describe("%version forget", () => {
  it("finds bytes recorded only by an auto-snapshot (no version) and removes them from the cache and artifacts", async () => {
    const { dir, session, api } = project();
    await cellReadingPeople(session, dir);
    const { createHash } = await import("node:crypto");
    const sha256 = createHash("sha256").update(PEOPLE).digest("hex");
    const object = join(dir, ".labnote", "cache", sha256.slice(0, 2), sha256.slice(2));
    expect(readFileSync(object, "utf8")).toBe(PEOPLE);
    mkdirSync(join(dir, ".labnote", "artifacts", "run1"), { recursive: true });
    writeFileSync(join(dir, ".labnote", "artifacts", "run1", "data__people.csv"), PEOPLE);
    const report = await api.forget("data/people.csv", "erasure request");
    expect(report.hashes).toEqual([sha256]);
    expect(report.artifactsRemoved).toEqual([join(".labnote", "artifacts", "run1", "data__people.csv")]);
    expect(() => readFileSync(object)).toThrow();
    // Without --scrub the snapshot's cell code still holds a row: the report says where and what to do.
    expect(report.remaining).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ place: expect.stringMatching(/^refs\/labnote\/notebook\/cells commit [0-9a-f]{10} cell.ts$/), detail: expect.stringContaining("--scrub") }),
        { place: "data/people.csv (your working copy)", detail: "labnote does not delete your files: delete or replace it yourself" },
      ]),
    );
    await expect(api.forget("data/nothing.csv", "x")).rejects.toThrow(/nothing is recorded for data\/nothing.csv/);
    await expect(api.forget("data/people.csv", "  ")).rejects.toThrow(/forget needs --reason/);
  });
});

describe("%version forget --scrub", () => {
  it("rewrites refs/labnote, names the remote to force-push, and after push --force the remote's history holds no row", async () => {
    const { dir, session, api } = project();
    await cellReadingPeople(session, dir);
    const before = await api.commit("with people");
    const remote = `${baseUrl}/shared.git`;
    await api.push(remote, { data: join(remoteRoot, "data-cache") });
    expect(labnoteObjects(join(remoteRoot, "shared.git")).some((bytes) => bytes.includes(ROWS[0]!))).toBe(true);

    const report = await api.forget("data/people.csv", "withdrawn consent", { scrub: true });
    expect(report.removedFrom).toHaveLength(2);
    expect(report.scrub!.refs.map((ref) => ref.ref).sort()).toEqual(["refs/labnote/notebook/cells", "refs/labnote/notebook/versions"]);
    expect(report.scrub!.forcePush).toEqual([remote]);
    expect(report.remaining).toEqual(expect.arrayContaining([{ place: `git remote ${remote}`, detail: `still has the old refs/labnote history: %version push ${remote} --force` }]));
    // The version got a new id; the log and names follow it.
    const after = await api.resolve("@");
    expect(after).not.toBe(before.id);
    expect(report.scrub!.versionIds[before.id]).toBe(after);
    expect(labnoteObjects(dir).filter((bytes) => bytes.includes(ROWS[0]!))).toEqual([]);
    expect(git(dir, "log", "-1", "--format=%s", "refs/labnote/notebook/cells")).toContain("[forgotten on ");
    expect(fsck(dir).code).toBe(0);

    const plain = await api.push(remote);
    expect(plain.refs.every((ref) => ref.status.startsWith("rejected"))).toBe(true);
    const forced = await api.push(remote, { force: true });
    expect(forced.refs.map((ref) => ref.status)).toEqual(["pushed", "pushed"]);
    expect(labnoteObjects(join(remoteRoot, "shared.git")).filter((bytes) => bytes.includes(ROWS[0]!) || bytes.includes(ROWS[1]!))).toEqual([]);
    expect(fsck(join(remoteRoot, "shared.git")).code).toBe(0);
  });

  it.skipIf(!process.env.LABNOTE_TEST_PG)("redacts the rows in a PostgreSQL store's samples", async () => {
    const { dir, session, api } = project();
    const marker = `pg-${Date.now()}-${Math.random().toString(36).slice(2)}`;
    const people = `id,name,email\n9,${marker},someone@example.org\n`;
    writeFileSync(join(dir, "data/people.csv"), people);
    await cellReadingPeople(session, dir);
    const { openStore } = await import("../../../store/index.js");
    const store = await openStore(dir, { location: process.env.LABNOTE_TEST_PG! });
    const run = await store.createRun({ name: `forget-${marker}` });
    await store.appendSamples([{ runId: run.id, index: 0, input: `9,${marker},someone@example.org`, pred: 1, label: 1 }]);
    const previous = process.env.LABNOTE_STORE;
    process.env.LABNOTE_STORE = process.env.LABNOTE_TEST_PG;
    try {
      const report = await api.forget("data/people.csv", "erasure request");
      expect(report.redacted.filter((entry) => entry.file.startsWith("postgres ")).map((entry) => `${entry.table}.${entry.column}`)).toEqual(["labnote_samples.input"]);
    } finally {
      if (previous === undefined) delete process.env.LABNOTE_STORE;
      else process.env.LABNOTE_STORE = previous;
    }
    const [sample] = await store.getSamples(run.id);
    expect(sample!.input).toMatch(/^\[forgotten on \d{4}-\d{2}-\d{2}: erasure request\]$/);
    await store.deleteRun(run.id);
    await store.close();
  });
});
