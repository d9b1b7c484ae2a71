// Choosing and sharing the store: LABNOTE_STORE, the default .labnote/labnote.db, one instance per location.
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { closeSharedStores, getStore, openStore, resolveStoreLocation } from "../../../store/index.js";
import { runWorkers } from "./workers.js";

const root = mkdtempSync(join(tmpdir(), "labnote-open-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => closeSharedStores());

describe("where the store lives", () => {
  it("defaults to SQLite in .labnote beside the notebook, and reads LABNOTE_STORE otherwise", () => {
    expect(resolveStoreLocation("/home/u/proj", { env: {} })).toEqual({ kind: "sqlite", path: "/home/u/proj/.labnote/labnote.db" });
    expect(resolveStoreLocation("/p", { env: { LABNOTE_STORE: "  " } })).toEqual({ kind: "sqlite", path: "/p/.labnote/labnote.db" });
    expect(resolveStoreLocation("/p", { env: { LABNOTE_STORE: "postgres://u@db:5432/lab" } })).toEqual({ kind: "postgres", url: "postgres://u@db:5432/lab" });
    expect(resolveStoreLocation("/p", { env: { LABNOTE_STORE: "postgresql://u@db/lab" } })).toEqual({ kind: "postgres", url: "postgresql://u@db/lab" });
    expect(resolveStoreLocation("/p", { env: { LABNOTE_STORE: "memory:" } })).toEqual({ kind: "memory" });
    expect(resolveStoreLocation("/p", { env: { LABNOTE_STORE: "sqlite:runs/lab.db" } })).toEqual({ kind: "sqlite", path: "/p/runs/lab.db" });
    expect(resolveStoreLocation("/p", { env: { LABNOTE_STORE: "sqlite:/data/lab.db" } })).toEqual({ kind: "sqlite", path: "/data/lab.db" });
    expect(resolveStoreLocation("/p", { location: "memory:", env: { LABNOTE_STORE: "postgres://x/y" } })).toEqual({ kind: "memory" });
  });

  it("explains what LABNOTE_STORE may hold when it holds something else", async () => {
    expect(() => resolveStoreLocation("/p", { env: { LABNOTE_STORE: "mysql://db/lab" } })).toThrow(
      /LABNOTE_STORE="mysql:\/\/db\/lab" is not a store labnote knows: use postgres:\/\/.*unset it/,
    );
    await expect(getStore("/p", { env: { LABNOTE_STORE: "mysql://db/lab" } })).rejects.toThrow(/not a store labnote knows/);
  });

  it("creates .labnote and the database file on first open", async () => {
    const project = join(root, "fresh-project");
    const store = await openStore(project, { env: {} });
    expect(store.kind).toBe("sqlite");
    expect(existsSync(join(project, ".labnote", "labnote.db"))).toBe(true);
    await store.close();
    const memory = await openStore(project, { env: { LABNOTE_STORE: "memory:" } });
    expect(memory.kind).toBe("memory");
    await memory.close();
  });
});

describe("the shared store", () => {
  it("is one instance per location, so %track and %tune see each other's writes", async () => {
    const projectA = join(root, "a");
    const first = await getStore(projectA, { env: {} });
    const second = await getStore(projectA, { env: {} });
    expect(second).toBe(first);
    const other = await getStore(join(root, "b"), { env: {} });
    expect(other).not.toBe(first);
    const run = await first.createRun({ name: "seen" });
    expect((await second.getRun(run.id))!.name).toBe("seen");
  });

  it("is replaced by a new instance after closeSharedStores", async () => {
    const before = await getStore(root, { env: { LABNOTE_STORE: "memory:" } });
    await closeSharedStores();
    const after = await getStore(root, { env: { LABNOTE_STORE: "memory:" } });
    expect(after).not.toBe(before);
    await expect(before.findRuns()).rejects.toThrow(/store is closed/);
  });

  it("is closed when the process exits: the SQLite write-ahead log is folded back into the file", async () => {
    const path = join(root, "exit.db");
    await runWorkers(1, () => ["shared-then-exit", `sqlite:${path}`, "before-exit"]);
    expect(existsSync(`${path}-wal`)).toBe(false);
    const store = await openStore(root, { location: `sqlite:${path}` });
    expect((await store.findRuns()).map((run) => run.name)).toEqual(["before-exit"]);
    await store.close();
  });
});
