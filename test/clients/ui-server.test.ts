// `labnote ui` as a user runs it: the CLI process (one URL line, store discovery, free port, token off loopback),
// and the server staying up while a kernel-like process writes, the file is locked, or PostgreSQL restarts.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../store/postgres.js";
import { openSqliteStore } from "../../store/sqlite.js";
import { startUiServer } from "../../ui/server/server.js";
import { REPO_ROOT } from "../helpers/jupyter.js";

const CLI = join(REPO_ROOT, "bin", "labnote.js");
const children: ChildProcess[] = [];

function startCli(args: string[], cwd: string): { child: ChildProcess; firstLine: Promise<string>; exit: Promise<{ code: number | null; output: string }> } {
  const child = spawn(process.execPath, [CLI, "ui", ...args], { cwd, env: { ...process.env, LABNOTE_STORE: "" }, stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let output = "";
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("\n")) resolve(output.split("\n")[0]!);
    });
    child.once("exit", () => reject(new Error(`labnote ui exited before printing its URL:\n${output}`)));
  });
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exit = new Promise<{ code: number | null; output: string }>((resolve) => child.once("exit", (code) => resolve({ code, output })));
  firstLine.catch(() => undefined);
  return { child, firstLine, exit };
}

let project: string;

beforeAll(async () => {
  project = mkdtempSync(join(tmpdir(), "labnote-ui-cli-"));
  mkdirSync(join(project, ".labnote"));
  mkdirSync(join(project, "notebooks", "deep"), { recursive: true });
  const store = await openSqliteStore(join(project, ".labnote", "labnote.db"));
  await store.createRun({ name: "from-cli", status: "finished", summary: { "val.acc": 0.9 } });
  await store.close();
});

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGTERM");
  rmSync(project, { recursive: true, force: true });
});

describe("labnote ui (CLI)", () => {
  it("on 0.0.0.0 prints one URL line with a generated token; without it 401, with Bearer, ?token= or the cookie 200", async () => {
    const { child, firstLine } = startCli(["--host", "0.0.0.0", "--port", "0"], join(project, "notebooks", "deep"));
    const line = await firstLine;
    expect(line).toMatch(/^labnote ui: http:\/\/\S+:\d+\/\?token=[\w-]{20,}$/);
    const url = new URL(line.replace(/^labnote ui: /, ""));
    const token = url.searchParams.get("token")!;
    const local = `http://127.0.0.1:${url.port}`;
    const anonymous = await fetch(`${local}/api/runs`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: string }).error).toMatch(/token/);
    expect((await fetch(`${local}/`)).status).toBe(401);
    expect((await fetch(`${local}/api/info`, { headers: { authorization: "Bearer wrong-token-123" } })).status).toBe(401);
    const bearer = await fetch(`${local}/api/info`, { headers: { authorization: `Bearer ${token}` } });
    expect(bearer.status).toBe(200);
    expect(((await bearer.json()) as { store: { location: string } }).store.location).toBe(join(project, ".labnote", "labnote.db"));
    const viaQuery = await fetch(`${local}/api/runs?token=${token}`);
    expect(viaQuery.status).toBe(200);
    expect(((await viaQuery.json()) as { runs: { name: string }[] }).runs.map((run) => run.name)).toEqual(["from-cli"]);
    const cookie = viaQuery.headers.get("set-cookie")!.split(";")[0]!;
    expect((await fetch(`${local}/api/runs`, { headers: { cookie } })).status).toBe(200);
    child.kill("SIGTERM");
  }, 60_000);

  it("takes the next free port when the one asked for is busy, and stays open on loopback without a token", async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve));
    const busy = (blocker.address() as { port: number }).port;
    try {
      const { child, firstLine } = startCli(["--port", String(busy)], project);
      const url = new URL((await firstLine).replace(/^labnote ui: /, ""));
      expect(url.hostname).toBe("127.0.0.1");
      expect(Number(url.port)).toBeGreaterThan(busy);
      expect(url.search).toBe("");
      expect((await fetch(new URL("/api/info", url))).status).toBe(200);
      child.kill("SIGTERM");
    } finally {
      blocker.close();
    }
  }, 60_000);

  it("says what to do when there is no store or a flag is wrong", async () => {
    const empty = mkdtempSync(join(tmpdir(), "labnote-ui-empty-"));
    try {
      const none = await startCli([], empty).exit;
      expect(none.code).toBe(2);
      expect(none.output).toMatch(/No \.labnote\/labnote\.db in .* or any parent.*--store/);
      const bad = await startCli(["--port", "http"], project).exit;
      expect(bad.code).toBe(2);
      expect(bad.output).toMatch(/--port must be a port number/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("labnote ui keeps serving", () => {
  it("while another process appends to the SQLite store, and while the file is locked by a writer", async () => {
    const file = join(project, ".labnote", "labnote.db");
    const store = await openSqliteStore(file);
    const run = await store.createRun({ name: "being-written" });
    const server = await startUiServer({ store, storeLocation: file, project, port: 0 });
    const writer = spawn(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { openSqliteStore } = await import(${JSON.stringify(join(REPO_ROOT, "dist", "store", "sqlite.js"))});
         const store = await openSqliteStore(${JSON.stringify(file)});
         const end = Date.now() + 3000; let step = 0;
         while (Date.now() < end) {
           await store.appendMetrics(Array.from({ length: 500 }, () => ({ runId: ${JSON.stringify(run.id)}, key: "loss", split: "train", step: step, value: 1 / ++step, wallTime: Date.now() })));
           await store.heartbeat([${JSON.stringify(run.id)}], Date.now());
         }
         await store.close(); console.log(step);`,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    children.push(writer);
    const written = new Promise<number>((resolve) => {
      let out = "";
      writer.stdout!.on("data", (chunk: Buffer) => (out += chunk.toString()));
      writer.once("exit", () => resolve(Number(out.trim())));
    });
    const statuses: number[] = [];
    let finished = false;
    void written.then(() => (finished = true));
    while (!finished) {
      statuses.push((await fetch(new URL("/api/runs?where=name%20~%20/being/", server.url))).status);
      statuses.push((await fetch(new URL(`/api/runs/${run.id}/metrics/loss?buckets=50`, server.url))).status);
    }
    const steps = await written;
    expect(steps).toBeGreaterThan(0);
    expect(statuses.length).toBeGreaterThan(4);
    expect(statuses.every((status) => status === 200 || status === 404)).toBe(true); // 404 only before the first point
    const final = (await (await fetch(new URL(`/api/runs/${run.id}/metrics/loss?buckets=10`, server.url))).json()) as { series: { points: number }[] };
    expect(final.series[0]!.points).toBe(steps);

    const locker = new Database(file);
    locker.exec("BEGIN EXCLUSIVE");
    try {
      expect((await fetch(new URL(`/api/runs/${run.id}`, server.url))).status).toBe(200);
      expect((await fetch(new URL("/api/runs", server.url))).status).toBe(200);
    } finally {
      locker.exec("ROLLBACK");
      locker.close();
    }
    await server.close();
    await store.close();
  }, 60_000);

  it("when PostgreSQL restarts: it answers 503 while the server is down, never crashes, and serves again after", async () => {
    const started = execFileSync("bash", [join(REPO_ROOT, "scripts", "pg.sh"), "start"], { encoding: "utf8" });
    const url = /^LABNOTE_TEST_PG=(\S+)$/m.exec(started)![1]!;
    const dir = /^LABNOTE_TEST_PG_DIR=(\S+)$/m.exec(started)![1]!;
    // A fast (clean) stop: the test cluster runs with synchronous_commit=off, so an immediate stop may lose the run
    // just created. pg_ctl start forgets the options the cluster was started with (port, socket dir): they are read back from postmaster.opts.
    const pgCtl = (action: "stop" | "start") =>
      execFileSync(
        "bash",
        [
          "-c",
          `set -e; bin=$(ls -d /usr/lib/postgresql/*/bin | head -1); owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
           if [ ${action} = stop ]; then cp "${dir}/data/postmaster.opts" "${dir}/opts"; owner "$bin/pg_ctl" -D "${dir}/data" -m fast -w stop;
           else owner "$bin/pg_ctl" -D "${dir}/data" -l "${dir}/server.log" -w start -o "$(sed -E 's/^[^ ]+ "-D" "[^"]*" ?//' "${dir}/opts")"; fi`,
        ],
        { stdio: "ignore" },
      );
    const store = await openPostgresStore(url);
    try {
      const run = await store.createRun({ name: "survives-restart", status: "finished" });
      const server = await startUiServer({ store, storeLocation: "postgres", project: null, port: 0 });
      expect((await fetch(new URL(`/api/runs/${run.id}`, server.url))).status).toBe(200);
      pgCtl("stop");
      const down = await fetch(new URL(`/api/runs/${run.id}`, server.url));
      expect(down.status).toBe(503);
      expect(((await down.json()) as { error: string }).error).toMatch(/store is unavailable/);
      pgCtl("start");
      let status = 0;
      for (let attempt = 0; attempt < 60 && status !== 200; attempt++) {
        status = (await fetch(new URL(`/api/runs/${run.id}`, server.url))).status;
        if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 500));
      }
      expect(status).toBe(200);
      expect((await fetch(new URL("/api/runs", server.url))).status).toBe(200);
      await server.close();
    } finally {
      await store.close();
      execFileSync("bash", [join(REPO_ROOT, "scripts", "pg.sh"), "stop", dir]);
    }
  }, 120_000);
});
