// %version repro --run and `labnote repro` end to end: the seed's scenario driven through jupyter_client the way
// JupyterLab does (cell ids in execute_request metadata), then a push to a git HTTP remote and `labnote repro` in a
// fresh directory, then bad input (unknown version, unreachable remote, data in no cache, a re-run that fails or hangs).
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitHttpServer } from "../helpers/git-http.js";
import { ARTIFACTS, ensureKernelspec, kernelEnv, PYTHON, REPO_ROOT } from "../helpers/jupyter.js";

type Output = { output_type: string; data?: Record<string, unknown>; text?: string; ename?: string; evalue?: string };
type CellRun = { id: string; status: string; outputs: Output[] };

const TRAIN = (lr: string) => `%%track --name fit --param lr=${lr}
const lr = ${lr};
let w = Math.random(), b = 0;
for (let step = 0; step < 40; step++) {
  let gw = 0, gb = 0, loss = 0;
  for (const [x, y] of pts) { const e = w * x + b - y; loss += (e * e) / pts.length; gw += (2 * e * x) / pts.length; gb += (2 * e) / pts.length; }
  w -= lr * gw; b -= lr * gb;
  run.log({ loss }, { step, split: "train" });
}
console.log(\`w=\${w.toFixed(4)} b=\${b.toFixed(4)}\`);`;

const READ = `import { readFileSync } from "node:fs";
const pts = readFileSync("data/points.csv", "utf8").trim().split("\\n").slice(1).map((l) => l.split(",").map(Number));
pts.length`;
// Cells that behave only when the re-run's environment asks them to: a re-run that fails, a re-run that hangs.
const FAIL = `if (process.env.LABNOTE_REPRO_TEST_FAIL) throw new Error("fails on purpose in the re-run");\n"fine"`;
const HANG = `if (process.env.LABNOTE_REPRO_TEST_HANG) { const until = Date.now() + 600_000; while (Date.now() < until) {} }\n"done"`;

function runCells(projectDir: string, cells: [string, string][], extraEnv: NodeJS.ProcessEnv = {}): Promise<CellRun[]> {
  ensureKernelspec();
  const input = join(projectDir, "..", `cells-${Date.now()}.json`);
  const output = `${input}.out.json`;
  writeFileSync(input, JSON.stringify(cells));
  return new Promise((resolve, reject) => {
    execFile(PYTHON, [join(REPO_ROOT, "test", "clients", "py", "repro_scenario.py"), input, output], { cwd: projectDir, env: kernelEnv({ LABNOTE_AUTOSNAPSHOT: "on", ...extraEnv }), timeout: 540_000, maxBuffer: 64 * 1024 * 1024 }, (error, _stdout, stderr) => {
      if (!existsSync(output)) return reject(new Error(`jupyter_client driver failed: ${stderr || error?.message}`));
      const results = JSON.parse(readFileSync(output, "utf8")) as CellRun[];
      if (error) return reject(new Error(`jupyter_client driver failed after ${results.length} cell(s): ${stderr.slice(-3000)}`));
      resolve(results);
    });
  });
}

function result(cell: CellRun | undefined): Record<string, unknown> {
  const bundle = cell?.outputs.find((output) => output.output_type === "execute_result")?.data;
  const error = cell?.outputs.find((output) => output.output_type === "error");
  if (!bundle) throw new Error(`cell ${cell?.id} has no execute_result${error ? `: ${error.ename}: ${error.evalue}` : ""}`);
  return bundle["application/json"] as Record<string, unknown>;
}

function cli(cwd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(REPO_ROOT, "bin", "labnote.js"), "repro", ...args], { cwd, env: { ...process.env, LABNOTE_STORE: "", ...env }, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === "number" ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

const scratchDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith("labnote-repro-")).sort();

let server: Server;
let remoteUrl: string;
const root = join(ARTIFACTS, `repro-${Date.now()}`);
const remoteRoot = join(root, "remote");
const dataRemote = join(root, "data-remote");
const projectDir = join(root, "project");
let goodVersion = "";

beforeAll(async () => {
  mkdirSync(join(projectDir, "data"), { recursive: true });
  mkdirSync(remoteRoot, { recursive: true });
  execFileSync("git", ["init", "-q", "--bare", "shared.git"], { cwd: remoteRoot });
  execFileSync("git", ["config", "http.receivepack", "true"], { cwd: join(remoteRoot, "shared.git") });
  ({ server, url: remoteUrl } = await gitHttpServer(remoteRoot));
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: projectDir });
  writeFileSync(join(projectDir, "data", "points.csv"), "x,y\n1,2.1\n2,3.9\n3,6.2\n4,7.8\n");
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(root, { recursive: true, force: true });
});

describe("%version repro --run (seed scenario through jupyter_client)", () => {
  it("a good run reproduces identically; an uncommitted small change is named, and re-running it shows how far the metrics moved", async () => {
    const before = scratchDirs();
    // The file as last saved says something else: a version holds what the kernel ran, not this.
    const saved = join(projectDir, "analysis.ipynb");
    writeFileSync(saved, JSON.stringify({ cells: [{ cell_type: "code", source: "// saved long ago, never run", outputs: [], metadata: {} }], metadata: {}, nbformat: 4, nbformat_minor: 5 }));
    const cells = await runCells(projectDir, [
      ["seed", "%seed 7"],
      ["read", READ],
      ["fail", FAIL],
      ["hang", HANG],
      ["train", TRAIN("0.05")],
      ["commit", '%version commit -m "good fit"'],
      ["train", TRAIN("0.052")],
      ["what-differs", "%version repro @"],
      ["rerun-good", "%version repro @ --run"],
      ["rerun-now", "%version repro @ --run --current"],
      ["push", `%version push ${remoteUrl}/shared.git --data ${dataRemote}`],
    ], { JPY_SESSION_NAME: saved });
    for (const cell of cells) expect({ id: cell.id, status: cell.status, errors: cell.outputs.filter((output) => output.output_type === "error") }).toEqual({ id: cell.id, status: "ok", errors: [] });
    const byId = (id: string) => cells.find((cell) => cell.id === id);

    // Item 6: the version holds the notebook as executed — the kernel's record of code and outputs, with cell ids.
    const version = result(byId("commit")) as { id: string; runs: { name: string }[] };
    goodVersion = version.id;
    expect(version.runs.map((run) => run.name)).toEqual(["fit"]);
    const stored = JSON.parse(execFileSync("git", ["show", `${goodVersion}:notebook.ipynb`], { cwd: projectDir, encoding: "utf8" })) as { cells: { id?: string; source: string; outputs: Output[] }[] };
    expect(stored.cells.map((cell) => cell.id)).toEqual(["seed", "read", "fail", "hang", "train"]);
    expect(JSON.stringify(stored)).not.toContain("saved long ago");
    expect(execFileSync("git", ["for-each-ref", "--format=%(refname)", "refs/labnote/"], { cwd: projectDir, encoding: "utf8" })).toContain("refs/labnote/analysis/versions");
    expect(stored.cells[4]!.source).toContain("const lr = 0.05;");
    expect(stored.cells[4]!.outputs.map((output) => output.output_type)).toEqual(["stream", "display_data", "execute_result"]);
    expect(stored.cells[4]!.outputs[0]!.text).toMatch(/^w=\d\.\d{4} b=/);
    const curves = JSON.parse(execFileSync("git", ["show", `${goodVersion}:curves/${(version.runs[0] as { id?: string }).id}.json`], { cwd: projectDir, encoding: "utf8" })) as Record<string, [number, number][]>;
    expect(curves["train.loss"]).toHaveLength(40);

    // Without --run: what differs now — the edited cell, by its place in the notebook.
    const differs = result(byId("what-differs")) as { code: { cell: number; change: string; diff: string }[] };
    const edited = differs.code.find((cell) => cell.change === "modified");
    expect(edited?.cell).toBe(5);
    expect(edited?.diff).toContain("-const lr = 0.05;");
    expect(edited?.diff).toContain("+const lr = 0.052;");

    // --run on the good version: identical, every cell compared, the run's whole curve equal.
    const good = result(byId("rerun-good")) as { verdict: string; cells: { verdict: string }[]; runs: { name: string; verdict: string; curves: { metric: string; points: number; maxAbs: number }[] }[]; data: { path: string; verdict: string; rerun: string | null }[]; firstDifference: unknown; environment: unknown[] };
    expect({ verdict: good.verdict, first: good.firstDifference }).toEqual({ verdict: "identical", first: null });
    expect(good.cells.map((cell) => cell.verdict)).toEqual(["identical", "identical", "identical", "identical", "identical"]);
    expect(good.runs).toEqual([expect.objectContaining({ name: "fit", verdict: "identical", curves: [expect.objectContaining({ metric: "train.loss", points: 40, maxAbs: 0 })] })]);
    expect(good.data).toEqual([expect.objectContaining({ path: "data/points.csv", verdict: "identical", rerun: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    // labnote's own code digest is in the lock too; in a shared work tree another build may land between the commit
    // and the re-run (a real change, correctly reported), so only the other keys must match here.
    expect(good.environment.filter((entry) => (entry as { key: string }).key !== "labnote")).toEqual([]);
    const html = byId("rerun-good")!.outputs.find((output) => output.output_type === "execute_result")!.data!["text/html"];
    expect(String(html)).toContain("<table>");

    // --run --current: the changed code re-run against the good version's record: which run, which metric, which step.
    const now = result(byId("rerun-now")) as { verdict: string; code: string; firstDifference: { kind: string; run: string; metric: string; step: number }; runs: { params: { key: string }[]; curves: { maxAbs: number; maxRel: number }[] }[]; cells: { cell: number; verdict: string }[] };
    expect(now.verdict).toBe("differs");
    expect(now.code).toBe("current");
    expect(now.firstDifference).toMatchObject({ kind: "run", run: "fit", metric: "train.loss", step: 1 });
    expect(now.runs[0]!.params.map((param) => param.key)).toEqual(["lr"]);
    expect(now.runs[0]!.curves[0]!.maxAbs).toBeGreaterThan(0);
    expect(now.cells.find((cell) => cell.cell === 5)?.verdict).toBe("differs");

    // Nothing was written into the project but the repro runs (in its store); the scratch directories are gone.
    expect(scratchDirs()).toEqual(before);
    expect(readdirSync(projectDir).sort()).toEqual([".git", ".labnote", "analysis.ipynb", "data"]);
    expect(readFileSync(saved, "utf8")).toContain("saved long ago");
    expect(readdirSync(join(projectDir, "data"))).toEqual(["points.csv"]);
    const reproRuns = execFileSync(process.execPath, ["-e", `
      const Database = require("better-sqlite3");
      const db = new Database(${JSON.stringify(join(projectDir, ".labnote", "labnote.db"))}, { readonly: true });
      console.log(JSON.stringify(db.prepare("SELECT * FROM runs").all()));`], { cwd: REPO_ROOT, encoding: "utf8" });
    const rows = JSON.parse(reproRuns) as Record<string, unknown>[];
    const repro = rows.filter((row) => String(row.tags ?? "").includes("repro"));
    expect(repro).toHaveLength(2);
    expect(repro.map((row) => String(row.version_id ?? row.versionId))).toEqual([goodVersion, goodVersion]);
  }, 600_000);
});

describe("labnote repro in a fresh directory", () => {
  it("fetches the version from the git remote, reads the data remote, re-runs it: identical; the directory gets only the repro run in its store", async () => {
    expect(goodVersion).not.toBe("");
    const fresh = mkdtempSync(join(root, "fresh-"));
    const before = scratchDirs();
    const run = await cli(fresh, [goodVersion.slice(0, 12), "--remote", `${remoteUrl}/shared.git`, "--data", dataRemote, "--json"]);
    expect(run.stderr).toBe("");
    const reproduced = JSON.parse(run.stdout) as { verdict: string; version: string; runs: { verdict: string }[]; nondeterminism: string[]; reproRun: string | null; firstDifference: unknown };
    expect(reproduced.version).toBe(goodVersion);
    expect({ matches: ["identical", "within-tolerance"].includes(reproduced.verdict), first: reproduced.firstDifference }).toEqual({ matches: true, first: reproduced.verdict === "identical" ? null : expect.anything() });
    expect(reproduced.runs.map((entry) => entry.verdict)).not.toContain("differs");
    expect(reproduced.reproRun).toMatch(/\S/);
    expect(run.code).toBe(0);
    expect(scratchDirs()).toEqual(before);
    expect(readdirSync(fresh)).toEqual([".labnote"]);
    expect(readdirSync(join(fresh, ".labnote")).filter((name) => !/^labnote\.db(-wal|-shm)?$/.test(name))).toEqual([]);

    // Bad input, each a clear error and exit code 2, nothing re-run.
    const unknown = await cli(fresh, ["deadbeef", "--remote", `${remoteUrl}/shared.git`]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("no version deadbeef");
    const unreachable = await cli(fresh, [goodVersion, "--remote", "http://127.0.0.1:9/nothing.git"]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain("cannot reach http://127.0.0.1:9/nothing.git");
    const badBackend = await cli(fresh, [goodVersion, "--remote", `${remoteUrl}/shared.git`, "--data", dataRemote, "--backend", "tpu"]);
    expect(badBackend.code).toBe(2);
    expect(badBackend.stderr).toContain("--backend tpu is not a TensorFlow.js backend labnote knows: use one of tensorflow, webgpu, wasm, cpu");
    const badTolerance = await cli(fresh, [goodVersion, "--tolerance", "-1"]);
    expect(badTolerance.code).toBe(2);
    expect(badTolerance.stderr).toContain("--tolerance must be a number ≥ 0");
    const noData = mkdtempSync(join(root, "no-data-"));
    const missing = await cli(noData, [goodVersion, "--remote", `${remoteUrl}/shared.git`]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing from every cache");
    expect(missing.stderr).toContain("data/points.csv");
    expect(scratchDirs()).toEqual(before);

    // A re-run that fails names the cell; one that hangs is interrupted at the per-cell timeout: verdict differs.
    const broken = await cli(fresh, [goodVersion, "--remote", `${remoteUrl}/shared.git`, "--data", dataRemote, "--json", "--timeout", "5"], { LABNOTE_REPRO_TEST_FAIL: "1", LABNOTE_REPRO_TEST_HANG: "1" });
    expect({ code: broken.code, stderr: broken.stderr }).toEqual({ code: 1, stderr: "" });
    const failed = JSON.parse(broken.stdout) as { verdict: string; firstDifference: { cell?: number; description: string }; cells: { cell: number; verdict: string; rerunStatus: string; difference?: string }[] };
    expect(failed.verdict).toBe("differs");
    expect(failed.cells[2]).toMatchObject({ cell: 3, verdict: "differs", rerunStatus: "error" });
    expect(failed.cells[2]!.difference).toContain("fails on purpose in the re-run");
    expect(failed.cells[3]).toMatchObject({ cell: 4, verdict: "differs", rerunStatus: "timeout" });
    expect(failed.firstDifference.description).toContain("cell 3");
    expect(scratchDirs()).toEqual(before);
  }, 600_000);
});
