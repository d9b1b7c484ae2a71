// %track ui: starts `labnote ui` for this kernel's store as a child process (so dashboard reads never pause the
// kernel's event loop), shows the link, and ends it with the kernel: the child exits when its stdin pipe closes.
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { resolveStoreLocation } from "../../store/index.js";
import { MagicError, type MagicContext, type MagicResult, type ParsedArgs } from "../types.js";
import { escapeHtml } from "./tables.js";

interface RunningDashboard {
  child: ChildProcess;
  url: string;
  store: string;
}

let running: RunningDashboard | undefined;

function labnoteBin(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    const bin = join(directory, "bin", "labnote.js");
    if (existsSync(bin)) return bin;
    directory = dirname(directory);
  }
  throw new MagicError("%track ui could not find labnote's bin/labnote.js next to this module: reinstall labnote (npm ci).");
}

function storeSetting(projectDir: string): string {
  const location = resolveStoreLocation(projectDir);
  if (location.kind === "memory") {
    throw new MagicError("%track ui needs a store other processes can read: LABNOTE_STORE=memory: lives only in this kernel. Unset it (SQLite in .labnote/) or use postgres://….");
  }
  return location.kind === "sqlite" ? `sqlite:${location.path}` : location.url;
}

function result(dashboard: RunningDashboard, already: boolean): MagicResult {
  const note = already ? " (already running in this kernel)" : "";
  return {
    data: { url: dashboard.url, pid: dashboard.child.pid ?? null, store: dashboard.store.replace(/\/\/([^:@/]+):[^@/]+@/, "//$1:***@"), alreadyRunning: already },
    text: `labnote ui: ${dashboard.url}${note}`,
    html: `<p>labnote ui: <a href="${escapeHtml(dashboard.url)}" target="_blank" rel="noopener">${escapeHtml(dashboard.url)}</a>${escapeHtml(note)}</p>`,
  };
}

export async function startTrackUi(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  if (running && running.child.exitCode === null && running.child.signalCode === null) return result(running, true);
  const store = storeSetting(ctx.session.projectDir);
  const flags = ["ui", "--store", store, "--exit-on-stdin-close"];
  for (const name of ["port", "host", "token"] as const) {
    const value = args.options[name];
    if (value !== undefined && value !== "") flags.push(`--${name}`, String(value));
  }
  if (args.options["allow-delete"] === true) flags.push("--allow-delete");
  const child = spawn(process.execPath, [labnoteBin(), ...flags], { cwd: ctx.session.projectDir, stdio: ["pipe", "pipe", "pipe"], env: process.env });
  let output = "";
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new MagicError(`%track ui: the dashboard did not start within 60 s:\n${output}`)), 60_000);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const line = /labnote ui: (\S+)/.exec(output);
      if (line) {
        clearTimeout(timer);
        resolve(line[1]!);
      }
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new MagicError(`%track ui: the dashboard stopped (exit ${code}):\n${output.trim()}`));
    });
  });
  // Keep reading so a chatty child never blocks on a full pipe; the kernel does not wait for it to exit.
  child.stdout!.resume();
  child.stderr!.resume();
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as unknown as { unref?: () => void } | null)?.unref?.();
  process.once("exit", () => child.kill("SIGTERM"));
  running = { child, url, store };
  return result(running, false);
}
