// Opening the store behind %track and %tune. LABNOTE_STORE chooses it:
//   unset / ""                 → SQLite at <projectDir>/.labnote/labnote.db (the directory is created)
//   postgres://… postgresql://… → PostgreSQL, shared by many kernels and machines
//   sqlite:<path>              → SQLite at that path (relative to projectDir)
//   memory:                    → in memory, gone when the process ends
import { mkdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { createMemoryStore } from "./memory.js";
import { markRunsOfDeadProcesses } from "./run-owners.js";
import type { Store } from "./types.js";

export type * from "./types.js";
export { createMemoryStore } from "./memory.js";
export { newId } from "./ids.js";
export { markRunsOfDeadProcesses } from "./run-owners.js";

export interface OpenStoreOptions {
  /** Overrides LABNOTE_STORE (same syntax). */
  location?: string;
  /** Where LABNOTE_STORE is read from; process.env by default. */
  env?: NodeJS.ProcessEnv;
}

export type StoreLocation =
  | { kind: "memory" }
  | { kind: "sqlite"; path: string }
  | { kind: "postgres"; url: string };

export const DEFAULT_STORE_FILE = join(".labnote", "labnote.db");

/** Where the store for this project lives, from LABNOTE_STORE (or options.location). */
export function resolveStoreLocation(projectDir: string, options: OpenStoreOptions = {}): StoreLocation {
  const setting = (options.location ?? (options.env ?? process.env).LABNOTE_STORE ?? "").trim();
  const project = resolve(projectDir);
  if (setting === "") return { kind: "sqlite", path: join(project, DEFAULT_STORE_FILE) };
  if (/^postgres(ql)?:\/\//i.test(setting)) return { kind: "postgres", url: setting };
  if (/^memory:?$/i.test(setting)) return { kind: "memory" };
  if (/^sqlite:/i.test(setting)) {
    const file = setting.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "");
    if (file === "") return { kind: "sqlite", path: join(project, DEFAULT_STORE_FILE) };
    return { kind: "sqlite", path: isAbsolute(file) ? file : join(project, file) };
  }
  throw new Error(
    `LABNOTE_STORE="${setting}" is not a store labnote knows: use postgres://user@host:port/db for PostgreSQL, ` +
      `sqlite:path/to/file.db for SQLite, memory: for an in-memory store, or unset it for .labnote/labnote.db.`,
  );
}

/** Opens a new store for the project (the caller closes it). Most code wants the shared getStore instead. */
export async function openStore(projectDir: string, options: OpenStoreOptions = {}): Promise<Store> {
  const location = resolveStoreLocation(projectDir, options);
  switch (location.kind) {
    case "memory":
      return createMemoryStore();
    case "sqlite": {
      mkdirSync(dirname(location.path), { recursive: true });
      const { openSqliteStore } = await import("./sqlite.js");
      return openSqliteStore(location.path);
    }
    case "postgres": {
      const { openPostgresStore } = await import("./postgres.js");
      return openPostgresStore(location.url);
    }
  }
}

const sharedStores = new Map<string, Promise<Store>>();
const openedSharedStores = new Set<Store>();
let exitHookInstalled = false;

function locationKey(location: StoreLocation): string {
  return location.kind === "sqlite" ? `sqlite:${location.path}` : location.kind === "postgres" ? location.url : "memory:";
}

/** One store per process and location, shared by %track, %tune and user code; closed when the process exits. */
export function getStore(projectDir: string, options: OpenStoreOptions = {}): Promise<Store> {
  let location: StoreLocation;
  try {
    location = resolveStoreLocation(projectDir, options);
  } catch (error) {
    return Promise.reject(error);
  }
  const key = locationKey(location);
  let store = sharedStores.get(key);
  if (!store) {
    // Runs left "running" by a dead process of this host are marked crashed before anyone reads the store.
    store = openStore(projectDir, options).then(async (opened) => {
      await markRunsOfDeadProcesses(opened).catch(() => []);
      return opened;
    });
    sharedStores.set(key, store);
    // A failed open is not cached: the next call retries (e.g. after the user fixes LABNOTE_STORE).
    store.then(
      (opened) => openedSharedStores.add(opened),
      () => sharedStores.delete(key),
    );
    installExitHook();
  }
  return store;
}

/** Closes every shared store (tests, kernel shutdown). */
export async function closeSharedStores(): Promise<void> {
  const stores = [...sharedStores.values()];
  sharedStores.clear();
  openedSharedStores.clear();
  await Promise.allSettled(stores.map(async (store) => (await store).close()));
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous: SQLite closes synchronously (checkpointing its WAL); PostgreSQL sockets die with us.
  process.once("exit", () => {
    for (const store of openedSharedStores) (store as Store & { closeSync?: () => void }).closeSync?.();
  });
}
