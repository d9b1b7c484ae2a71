// `labnote ui [--store LOCATION] [--port N] [--host H] [--token T] [--allow-delete]`: opens the store, starts the
// server and prints one line with the URL to open. Ctrl-C (or SIGTERM) stops it.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_STORE_FILE, openStore, type StoreLocation, resolveStoreLocation } from "../../store/index.js";
import { generateToken, isLoopbackHost } from "./auth.js";
import { startUiServer, type RunningUiServer } from "./server.js";

export class UiUsageError extends Error {}

export const UI_USAGE = `labnote ui [--store LOCATION] [--port N] [--host H] [--token T] [--allow-delete]
    Serves the dashboard over the store. LOCATION: a SQLite file, sqlite:PATH, or postgres://user@host:port/db
    (default: LABNOTE_STORE, else the .labnote/labnote.db of this directory or the nearest parent that has one).
    Port 7007 (the next free one if taken), host 127.0.0.1. Any other host needs a token (generated when not given).
    Read-only unless --allow-delete.`;

export interface UiFlags {
  store?: string;
  port: number;
  host: string;
  token?: string;
  allowDelete: boolean;
  /** Set by %track ui: exit when the kernel that started us goes (our stdin pipe closes). */
  exitOnStdinClose: boolean;
}

export function parseUiFlags(args: string[]): UiFlags {
  const flags: UiFlags = { port: 7007, host: "127.0.0.1", allowDelete: false, exitOnStdinClose: false };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const [flag, inline] = arg.includes("=") && arg.startsWith("--") ? (arg.split(/=(.*)/s, 2) as [string, string]) : [arg, undefined];
    const value = (): string => {
      const next = inline ?? args[++index];
      if (next === undefined || (inline === undefined && next.startsWith("--"))) throw new UiUsageError(`${flag} needs a value.`);
      return next;
    };
    switch (flag) {
      case "--store":
        flags.store = value();
        break;
      case "--port": {
        const text = value();
        const port = Number(text);
        if (!/^\d+$/.test(text) || port > 65535) throw new UiUsageError(`--port must be a port number (0–65535), not "${text}".`);
        flags.port = port;
        break;
      }
      case "--host":
        flags.host = value();
        break;
      case "--token": {
        const token = value();
        if (token.length < 8 || /\s/.test(token)) throw new UiUsageError("--token must be at least 8 characters without spaces.");
        flags.token = token;
        break;
      }
      case "--allow-delete":
        flags.allowDelete = true;
        break;
      case "--exit-on-stdin-close":
        flags.exitOnStdinClose = true;
        break;
      default:
        throw new UiUsageError(`Unknown option "${arg}" for labnote ui.`);
    }
  }
  return flags;
}

/** The nearest directory from `start` up that holds .labnote/labnote.db. */
export function findProjectWithStore(start: string): string | null {
  let directory = resolve(start);
  for (;;) {
    if (existsSync(join(directory, DEFAULT_STORE_FILE))) return directory;
    const parent = dirname(directory);
    if (parent === directory) return null;
    directory = parent;
  }
}

export interface ResolvedUiStore {
  location: StoreLocation;
  /** Shown in /api/info and the banner (no password). */
  display: string;
  project: string | null;
}

/** --store, else LABNOTE_STORE, else the nearest .labnote/labnote.db. A bare path means a SQLite file. */
export function resolveUiStore(flag: string | undefined, cwd: string, env: NodeJS.ProcessEnv = process.env): ResolvedUiStore {
  const setting = flag ?? env.LABNOTE_STORE ?? "";
  if (setting.trim() !== "") {
    const normalized = /^(postgres(ql)?:\/\/|sqlite:|memory:?$)/i.test(setting.trim()) ? setting.trim() : `sqlite:${resolve(cwd, setting.trim())}`;
    const location = resolveStoreLocation(cwd, { location: normalized });
    if (location.kind === "sqlite" && !existsSync(location.path)) {
      throw new UiUsageError(`No labnote store at ${location.path}: give the path of an existing .labnote/labnote.db (or a postgres:// URL).`);
    }
    const project = location.kind === "sqlite" && location.path.endsWith(DEFAULT_STORE_FILE) ? dirname(dirname(location.path)) : (findProjectWithStore(cwd) ?? resolve(cwd));
    return { location, display: describeLocation(location), project };
  }
  const project = findProjectWithStore(cwd);
  if (!project) {
    throw new UiUsageError(
      `No .labnote/labnote.db in ${resolve(cwd)} or any parent: run labnote ui inside a project that has run %track, or pass --store PATH|postgres://….`,
    );
  }
  const location: StoreLocation = { kind: "sqlite", path: join(project, DEFAULT_STORE_FILE) };
  return { location, display: describeLocation(location), project };
}

function describeLocation(location: StoreLocation): string {
  if (location.kind === "sqlite") return location.path;
  if (location.kind === "memory") return "memory:";
  try {
    const url = new URL(location.url);
    if (url.password) url.password = "***";
    return url.toString();
  } catch {
    return "postgres://(unparsable URL)";
  }
}

function locationSetting(location: StoreLocation): string {
  return location.kind === "sqlite" ? `sqlite:${location.path}` : location.kind === "postgres" ? location.url : "memory:";
}

export function packageVersion(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    const file = join(directory, "package.json");
    if (existsSync(file)) return (JSON.parse(readFileSync(file, "utf8")) as { version?: string }).version ?? "0.0.0";
    directory = dirname(directory);
  }
  return "0.0.0";
}

/** Starts `labnote ui` from parsed flags (the CLI and %track ui both come here). */
export async function startUiFromFlags(flags: UiFlags, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<RunningUiServer> {
  const resolved = resolveUiStore(flags.store, cwd, env);
  const token = flags.token ?? (isLoopbackHost(flags.host) ? undefined : generateToken());
  const store = await openStore(cwd, { location: locationSetting(resolved.location) });
  try {
    const server = await startUiServer({
      store,
      storeLocation: resolved.display,
      project: resolved.project,
      artifactsRoot: resolved.project ? join(resolved.project, ".labnote", "artifacts") : null,
      host: flags.host,
      port: flags.port,
      ...(token ? { token } : {}),
      allowDelete: flags.allowDelete,
      version: packageVersion(),
      collectGarbageWhenIdle: true,
    });
    const close = server.close;
    server.close = async () => {
      await close();
      await store.close();
    };
    return server;
  } catch (error) {
    await store.close();
    throw error;
  }
}

/** `labnote ui …` from the shell: prints the URL on one line and serves until interrupted. */
export async function runUiCommand(args: string[]): Promise<void> {
  const flags = parseUiFlags(args);
  const server = await startUiFromFlags(flags, process.cwd());
  process.stdout.write(`labnote ui: ${server.url}\n`);
  const stop = (): void => {
    void server.close().finally(() => process.exit(0));
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  if (flags.exitOnStdinClose) {
    process.stdin.once("end", stop);
    process.stdin.once("close", stop);
    process.stdin.resume();
  }
}
