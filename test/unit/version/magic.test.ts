// %version through its magic commands with a fake MagicContext and fake kernel hooks (the kernel-free path).
import { createReadStream, mkdirSync, promises as fsp, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as fs from "node:fs";
import { createHash } from "node:crypto";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CellHooks, CellRecord } from "../../../kernel/types.js";
import { magics, setup } from "../../../magics/version/command.js";
import { declaredTestData, isTestData, sessionDataHashes, version } from "../../../magics/version/index.js";
import { currentSession, setSession } from "../../../magics/version/session.js";
import type { MagicResult } from "../../../magics/types.js";
import { args, fakeContext, fsck, git, tempProject } from "./helpers.js";

const sha = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");
const spec = magics[0]!;
const temp = tempProject();
const dir = temp.dir;
let hooks: CellHooks = {};
let count = 0;
const ctx = fakeContext({ projectDir: dir });

async function run(sub: string, options: Record<string, unknown> = {}, positionals: Record<string, string> = {}): Promise<MagicResult> {
  return (await spec.subcommands![sub]!.run(args(options as never, positionals), ctx)) as MagicResult;
}

/** Runs a "cell": the hooks around a body, as the kernel does. */
async function cell(code: string, body: () => Promise<void> | void = () => undefined): Promise<void> {
  count++;
  const startedAt = new Date();
  hooks.beforeCell?.({ code, executionCount: count, startedAt });
  await body();
  const record: CellRecord = { code, executionCount: count, startedAt, durationMs: 3, status: "ok", outputs: { streams: 0, displays: 0, errors: 0, mimeTypes: [] } };
  hooks.afterCell?.(record);
}

beforeAll(async () => {
  git(dir, "init", "-q", "-b", "main");
  writeFileSync(join(dir, "notes.md"), "user file\n");
  git(dir, "add", "notes.md");
  git(dir, "commit", "-q", "-m", "user work");
  mkdirSync(join(dir, "data"));
  writeFileSync(join(dir, "data/train.csv"), "x,y\n1,2\n");
  writeFileSync(join(dir, "data/extra.csv"), "a\n");
  mkdirSync(join(dir, "heldout"));
  writeFileSync(join(dir, "heldout/test.csv"), "x,y\n9,9\n");
  await setup({ projectDir: dir, kernelId: "k-test", notebookPath: undefined, comms: ctx.comms, addCellHooks: (added) => void (hooks = added) });
});

afterAll(() => {
  setSession(undefined);
  temp.cleanup();
});

describe("%version as a user drives it", () => {
  it("auto-snapshots each cell with the data it read (readFileSync, fs.promises, createReadStream) on refs/labnote/", async () => {
    const head = git(dir, "rev-parse", "HEAD");
    await cell('const rows = readFileSync("data/train.csv", "utf8");', () => void readFileSync(join(dir, "data/train.csv")));
    await cell("await fs.promises.readFile(...)", async () => {
      await fsp.readFile(join(dir, "data/extra.csv"));
      await new Promise<void>((resolve) => createReadStream(join(dir, "notes.md")).on("close", () => resolve()).resume());
      fs.readFileSync(join(dir, ".labnote-not-data.ts"), { flag: "a+" });
    });
    await cell("readFileSync(heldout) inside a cell", () => {
      readFileSync(join(dir, "heldout/test.csv"));
      // Guards (%tune) see a read while the cell still runs, before its hash is known.
      expect(sessionDataHashes()["heldout/test.csv"]).toBe("pending");
    });
    await currentSession().flush();
    expect(sessionDataHashes()["heldout/test.csv"]).toBe(sha("x,y\n9,9\n"));
    await cell("1 + 1");
    await currentSession().flush();
    const log = git(dir, "log", "--format=%s", "refs/labnote/notebook/cells").trim().split("\n");
    expect(log).toEqual(["cell [4] ok: 1 + 1", "cell [3] ok: readFileSync(heldout) inside a cell", "cell [2] ok: await fs.promises.readFile(...)", 'cell [1] ok: const rows = readFileSync("data/train.csv", "utf8");']);
    const first = JSON.parse(git(dir, "show", "refs/labnote/notebook/cells~3:cell.json")) as { data: { files: unknown[] }; executionCount: number };
    expect(first.executionCount).toBe(1);
    expect(first.data.files).toEqual([{ path: "data/train.csv", size: 8, sha256: sha("x,y\n1,2\n") }]);
    const second = JSON.parse(git(dir, "show", "refs/labnote/notebook/cells~2:cell.json")) as { data: { files: { path: string }[] } };
    expect(second.data.files.map((file) => file.path)).toEqual(["data/extra.csv", "notes.md"]);
    expect(git(dir, "show", "refs/labnote/notebook/cells:cell.ts")).toBe("1 + 1");
    expect(sessionDataHashes()["data/train.csv"]).toBe(sha("x,y\n1,2\n"));
    // The user's repository is untouched.
    expect(git(dir, "rev-parse", "HEAD")).toBe(head);
    expect(git(dir, "status", "--porcelain", "--untracked-files=no")).toBe("");
    rmSync(join(dir, ".labnote-not-data.ts"), { force: true });
    expect(fsck(dir).code).toBe(0);
  });

  it("declares data and test data; isTestData guards paths inside it", async () => {
    const result = await run("data", { test: true }, { PATH: "heldout" });
    expect(result.data).toMatchObject({ path: "heldout", test: true, items: [{ path: "heldout", kind: "dir", files: 1 }] });
    expect(result.text).toMatch(/declared TEST data heldout \(directory, 1 file/);
    expect(isTestData("heldout/test.csv")).toBe(true);
    expect(isTestData(join(dir, "heldout"))).toBe(true);
    expect(isTestData("data/train.csv")).toBe(false);
    expect(declaredTestData()).toEqual(["heldout"]);
    await expect(run("data", {}, { PATH: "../../etc/passwd" })).rejects.toThrow(/outside the project/);
  });

  it("commits named versions with data manifest, environment and runs; log and @~N name them", async () => {
    const { getStore } = await import("../../../store/index.js");
    const store = await getStore(dir);
    const produced = await store.createRun({ name: "mlp", kernelId: "k-test", summary: { "val.acc": 0.8 } });
    const first = await run("commit", { message: "baseline" });
    const v1 = first.data as { id: string; message: string; data: { files: { path: string }[] }; runs: { id: string }[]; env: { node: string } };
    expect(v1.id).toMatch(/^[0-9a-f]{40}$/);
    expect(v1.message).toBe("baseline");
    expect(v1.data.files.map((file) => file.path)).toEqual(["data/extra.csv", "data/train.csv", "heldout/test.csv", "notes.md"]);
    expect(v1.runs.map((r) => r.id)).toEqual([produced.id]);
    expect(v1.env.node).toBe(process.version);
    expect((await store.getRun(produced.id))!.versionId).toBe(v1.id);
    expect(git(dir, "show", `${v1.id}:notebook.ipynb`)).toContain("readFileSync");

    await cell("const lr = 0.01;");
    writeFileSync(join(dir, "data/train.csv"), "x,y\n1,2\n3,4\n");
    await cell("train()", () => void readFileSync(join(dir, "data/train.csv")));
    await store.createRun({ name: "mlp", kernelId: "k-test", summary: { "val.acc": 0.9 } });
    const v2 = (await run("commit", { message: "more data" })).data as { id: string; runs: unknown[] };
    expect(v2.runs).toHaveLength(1);

    const log = await run("log", { limit: 10 });
    expect((log.data as { id: string }[]).map((entry) => entry.id)).toEqual([v2.id, v1.id]);
    expect(log.text).toMatch(/@~1 .* baseline/);
    expect(log.html).toContain("<table>");
    expect(await version.resolve("@")).toBe(v2.id);
    expect(await version.resolve("@~1")).toBe(v1.id);
    expect(await version.resolve(v1.id.slice(0, 7))).toBe(v1.id);
    await expect(version.resolve("@~5")).rejects.toThrow(/further than the 2 version/);
    await expect(version.resolve("zzz")).rejects.toThrow(/not a version/);
    expect(git(dir, "log", "--format=%s", "refs/labnote/notebook/versions").trim()).toBe("more data\nbaseline");
    expect(fsck(dir).code).toBe(0);
  });

  it("diffs two versions: per-cell code, data with sizes, metrics", async () => {
    const result = await run("diff", {}, { A: "@~1", B: "@" });
    const diff = result.data as { cells: { cell: number; change: string; diff: string }[]; data: { modified: { path: string }[] }; metrics: { metric: string; before: unknown; after: unknown }[] };
    expect(diff.cells.map((cell) => [cell.cell, cell.change])).toEqual([[5, "added"], [6, "added"]]);
    expect(diff.cells[0]!.diff).toContain("+const lr = 0.01;");
    expect(diff.data.modified.map((entry) => entry.path)).toEqual(["data/train.csv"]);
    expect(diff.metrics).toEqual([{ run: "mlp", metric: "val.acc", before: 0.8, after: 0.9 }]);
    expect(result.text).toMatch(/~ data\/train.csv \(8 B → 12 B\)/);
  });

  it("checks out code into a new notebook and data from the cache; repro says what differs", async () => {
    const repro = (await run("repro", {}, { V: "@~1" })).data as { data: { modified: { path: string }[] }; nondeterminism: string[] };
    expect(repro.data.modified.map((entry) => entry.path)).toEqual(["data/train.csv"]);
    expect(repro.nondeterminism.join(" ")).toMatch(/no %seed/);
    const result = await run("checkout", { data: true }, { V: "@~1" });
    const checkout = result.data as { notebook: string; data: { restored: string[]; unchanged: string[] } };
    expect(checkout.notebook).toMatch(/notebook@[0-9a-f]{8}\.ipynb$/);
    expect(JSON.parse(readFileSync(checkout.notebook, "utf8")).cells.length).toBeGreaterThan(0);
    expect(checkout.data.restored).toEqual(["data/train.csv"]);
    expect(readFileSync(join(dir, "data/train.csv"), "utf8")).toBe("x,y\n1,2\n");
    const again = (await run("repro", {}, { V: "@~1" })).data as { data: { modified: unknown[] } };
    expect(again.data.modified).toEqual([]);
  });

  it("refuses to restore data through a symlink that leaves the project", async () => {
    const outside = tempProject("labnote-outside-");
    try {
      rmSync(join(dir, "heldout"), { recursive: true });
      symlinkSync(outside.dir, join(dir, "heldout"));
      const result = await run("checkout", { data: true }, { V: "@~1" });
      const checkout = result.data as { data: { refused: { path: string; message: string }[] } };
      expect(checkout.data.refused.map((entry) => entry.path)).toEqual(["heldout/test.csv"]);
      expect(checkout.data.refused[0]!.message).toMatch(/leads outside the project through a symlink/);
      expect(fs.readdirSync(outside.dir)).toEqual([]);
    } finally {
      rmSync(join(dir, "heldout"));
      mkdirSync(join(dir, "heldout"));
      writeFileSync(join(dir, "heldout/test.csv"), "x,y\n9,9\n");
      outside.cleanup();
    }
  });

  it("forget removes the bytes from the cache and later checkouts say why", async () => {
    const result = await run("forget", { reason: "user asked for erasure" }, { TARGET: "data/extra.csv" });
    const forgotten = result.data as { hashes: string[]; removedFrom: string[] };
    expect(forgotten.hashes).toEqual([sha("a\n")]);
    expect(fs.existsSync(join(dir, ".labnote/cache", sha("a\n").slice(0, 2), sha("a\n").slice(2)))).toBe(false);
    rmSync(join(dir, "data/extra.csv"));
    const checkout = (await run("checkout", { data: true }, { V: "@" })).data as { data: { missing: { message: string }[] } };
    const today = new Date().toISOString().slice(0, 10);
    expect(checkout.data.missing.map((entry) => entry.message)).toEqual([`data/extra.csv: removed on ${today}: user asked for erasure`]);
    expect(ctx.warnings.at(-1)).toBe(`data/extra.csv: removed on ${today}: user asked for erasure`);
    await expect(run("forget", { reason: "" }, { TARGET: "data/extra.csv" })).rejects.toThrow(/needs --reason/);
    expect(fsck(dir).code).toBe(0);
  });
});
