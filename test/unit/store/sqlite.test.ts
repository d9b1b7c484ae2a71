import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../../store/index.js";
import { SQLITE_SCHEMA_VERSION } from "../../../store/sqlite-schema.js";
import { storeContract } from "./contract.js";

const root = mkdtempSync(join(tmpdir(), "labnote-sqlite-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;

storeContract("sqlite", async () => {
  const path = join(root, `store-${counter++}.db`);
  return { store: await openStore(root, { location: `sqlite:${path}` }), location: `sqlite:${path}` };
});

describe("SQLite file", () => {
  it("is created with its directory, in WAL mode, with a schema version and the lookup indexes", async () => {
    const project = join(root, "project");
    const store = await openStore(project, { env: {} });
    await store.createRun({ name: "x" });
    await store.close();
    const db = new Database(join(project, ".labnote", "labnote.db"), { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    expect(db.pragma("user_version", { simple: true })).toBe(SQLITE_SCHEMA_VERSION);
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_%'").pluck().all();
    expect(indexes).toEqual(expect.arrayContaining(["runs_by_name", "runs_by_study", "metrics_by_run"]));
    db.close();
  });

  it("refuses a file written by a newer labnote with a message that says to upgrade", async () => {
    const path = join(root, "future.db");
    const db = new Database(path);
    db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION + 1}`);
    db.close();
    await expect(openStore(root, { location: `sqlite:${path}` })).rejects.toThrow(/newer labnote.*upgrade labnote/);
  });

  it("reopens a store and finds everything written before", async () => {
    const path = join(root, "reopen.db");
    const first = await openStore(root, { location: `sqlite:${path}` });
    const run = await first.createRun({ name: "persisted", params: { lr: 0.1 } });
    await first.appendMetrics([{ runId: run.id, key: "loss", split: "train", step: 0, value: Number.NaN, wallTime: 1 }]);
    await first.close();
    const second = await openStore(root, { location: `sqlite:${path}` });
    expect(await second.getRun(run.id)).toEqual(run);
    expect(Number.isNaN((await second.getMetrics(run.id))[0]!.value)).toBe(true);
    await second.close();
  });
});
