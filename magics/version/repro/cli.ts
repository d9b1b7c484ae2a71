// `labnote repro V [--remote URL] [--data DIR] [--tolerance T] [--json]`: reproduce a version from a shell, also in a
// fresh directory: refs/labnote/* are fetched from the git remote into a temporary repository first, and the data
// remote directory is read in place, so the directory gains nothing but the repro run in its store.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { localCache, remoteDataDir } from "../data-cache.js";
import { firstParentLog, gitFs, listRefs, loadGit } from "../git-store.js";
import { pullVersions } from "../remote.js";
import { VersionSession } from "../session.js";
import { checkedTolerance, DEFAULT_CELL_TIMEOUT_S } from "./command-run.js";
import { storeReproRun } from "./record.js";
import { renderReproText } from "./render.js";
import { reproduceVersion } from "./run.js";

export const REPRO_USAGE = `labnote repro V [--remote URL] [--data DIR] [--tolerance T] [--backend NAME] [--timeout S] [--notebook NAME] [--json]
      Re-execute version V (id, unique prefix, @ or @~N) headless in a fresh kernel in a scratch directory and
      compare runs, curves, cell outputs and data hashes with what V recorded. --remote fetches refs/labnote/*
      from a git HTTP remote first (into this directory's repository, created if absent); --data is the remote
      data cache directory. Exit code 0: identical or within tolerance; 1: differs; 2: it could not run.`;

export class ReproCliError extends Error {}

interface ReproFlags {
  spec: string;
  remote?: string;
  data?: string;
  tolerance?: number;
  backend?: string;
  timeout: number;
  notebook?: string;
  json: boolean;
}

function parseReproFlags(args: string[]): ReproFlags {
  let spec: string | undefined;
  const flags: Partial<ReproFlags> = { json: false, timeout: DEFAULT_CELL_TIMEOUT_S };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? (arg.split(/=(.*)/s, 2) as [string, string]) : [arg, undefined];
    const value = (): string => {
      const next = inline ?? args[++index];
      if (next === undefined || (inline === undefined && next.startsWith("--"))) throw new ReproCliError(`${flag} needs a value.`);
      return next;
    };
    const numeric = (): number => {
      const text = value();
      const parsed = Number(text);
      if (text.trim() === "" || !Number.isFinite(parsed)) throw new ReproCliError(`${flag} needs a number, not "${text}".`);
      return parsed;
    };
    switch (flag) {
      case "--remote": flags.remote = value(); break;
      case "--data": flags.data = value(); break;
      case "--tolerance": flags.tolerance = numeric(); break;
      case "--backend": flags.backend = value(); break;
      case "--timeout": flags.timeout = numeric(); break;
      case "--notebook": flags.notebook = value(); break;
      case "--json": flags.json = true; break;
      default:
        if (arg.startsWith("-")) throw new ReproCliError(`unknown option "${arg}".`);
        if (spec !== undefined) throw new ReproCliError(`one version at a time: got "${spec}" and "${arg}".`);
        spec = arg;
    }
  }
  if (!spec) throw new ReproCliError("which version? labnote repro V (an id, a unique prefix, @ or @~N).");
  if (!(flags.timeout! > 0)) throw new ReproCliError("--timeout must be a positive number of seconds.");
  return { ...flags, spec } as ReproFlags;
}

/** Finds V among every notebook's refs/labnote/<notebook>/versions. */
async function resolveAcrossNotebooks(gitdir: string, spec: string, notebook: string | undefined): Promise<string> {
  const refs = [...(await listRefs(gitdir, "refs/labnote/")).keys()].filter((ref) => ref.endsWith("/versions") && (!notebook || ref === `refs/labnote/${notebook}/versions`));
  const names = refs.map((ref) => ref.slice("refs/labnote/".length, -"/versions".length));
  if (refs.length === 0) throw new ReproCliError(notebook ? `no versions of notebook "${notebook}" here: fetch them with --remote URL, or check --notebook.` : "there are no versions here (no refs/labnote/*/versions): fetch them with --remote URL, or run this inside the project.");
  const relative = /^@(?:~(\d+))?$/.exec(spec.trim());
  if (relative) {
    if (refs.length > 1) throw new ReproCliError(`${spec} is ambiguous: versions of ${names.join(", ")} are here; choose one with --notebook NAME.`);
    const back = Number(relative[1] ?? 0);
    const commits = await firstParentLog(gitdir, refs[0]!, back + 1);
    if (commits.length <= back) throw new ReproCliError(`${spec} goes back further than the ${commits.length} version(s) there are.`);
    return commits[back]!.oid;
  }
  const prefix = spec.trim().toLowerCase();
  if (!/^[0-9a-f]{4,40}$/.test(prefix)) throw new ReproCliError(`"${spec}" is not a version: give its id, a unique id prefix (4+ hex digits), @ or @~N.`);
  const matches = new Set<string>();
  for (const ref of refs) for (const commit of await firstParentLog(gitdir, ref)) if (commit.oid.startsWith(prefix)) matches.add(commit.oid);
  if (matches.size === 1) return [...matches][0]!;
  if (matches.size > 1) throw new ReproCliError(`version prefix ${prefix} is ambiguous (${[...matches].map((oid) => oid.slice(0, 10)).join(", ")}): give more digits.`);
  throw new ReproCliError(`no version ${spec} in ${refs.join(", ")}: check the id (labnote has the versions a remote holds once fetched with --remote).`);
}

/** The repository holding this directory's versions (never created here: without one there is nothing to re-run). */
function existingGitdir(projectDir: string): string {
  for (let dir = projectDir; ; dir = dirname(dir)) {
    const dotGit = join(dir, ".git");
    if (existsSync(dotGit)) {
      if (statSync(dotGit).isDirectory()) return dotGit;
      const pointer = /^gitdir:\s*(.+)$/m.exec(readFileSync(dotGit, "utf8"));
      if (pointer) return resolve(dir, pointer[1]!.trim());
    }
    if (dirname(dir) === dir) throw new ReproCliError(`there is no repository with versions at or above ${projectDir}: run this inside the project, or fetch the versions with --remote URL.`);
  }
}

/** refs/labnote/* of the remote, fetched into a temporary repository (removed by cleanup), never into this directory. */
async function fetchVersions(remote: string, report: (text: string) => void): Promise<{ gitdir: string; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "labnote-repro-refs-"));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  try {
    const git = await loadGit();
    await git.init({ fs: gitFs(join(dir, ".git")), dir, defaultBranch: "main" });
    const pulled = await pullVersions(new VersionSession({ projectDir: dir, kernelId: `cli-${process.pid}` }), remote);
    report(`fetched from ${remote}: ${pulled.refs.map((ref) => `${ref.ref} ${ref.status}`).join(", ") || "no refs/labnote/*"}`);
    return { gitdir: join(dir, ".git"), cleanup };
  } catch (error) {
    cleanup();
    const message = error instanceof Error ? error.message : String(error);
    throw new ReproCliError(/ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|EHOSTUNREACH|socket hang up|HttpError|getaddrinfo|fetch failed/i.test(message) ? `cannot reach ${remote} (${message}): check the URL and that the server is running, then try again.` : message);
  }
}

export async function reproCli(args: string[], out: { log(text: string): void; error(text: string): void } = console): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    out.log(REPRO_USAGE);
    return 0;
  }
  try {
    const flags = parseReproFlags(args);
    const tolerance = checkedTolerance(flags.tolerance);
    const projectDir = resolve(process.cwd());
    const { gitdir, cleanup } = flags.remote ? await fetchVersions(flags.remote, flags.json ? () => undefined : (text) => out.error(text)) : { gitdir: existingGitdir(projectDir), cleanup: () => undefined };
    // The data remote is read in place as one more cache: nothing is copied into this directory.
    const caches = [localCache(projectDir), ...(flags.data ? [remoteDataDir(flags.data, projectDir)] : [])];
    let result;
    try {
      const id = await resolveAcrossNotebooks(gitdir, flags.spec, flags.notebook);
      result = await reproduceVersion(gitdir, id, {
      tolerance,
      backend: flags.backend,
      cellTimeoutMs: flags.timeout * 1000,
      dataCaches: caches,
      projectDir,
        onProgress: flags.json ? undefined : (message) => out.error(`repro: ${message}`),
      });
    } finally {
      cleanup();
    }
    let reproRun: string | null = null;
    try {
      const { getStore, closeSharedStores } = await import("../../../store/index.js");
      reproRun = await storeReproRun(await getStore(projectDir), result, `cli-${process.pid}`);
      await closeSharedStores();
    } catch (error) {
      out.error(`repro: the result could not be stored as a run (${error instanceof Error ? error.message : String(error)}); it is printed here.`);
    }
    out.log(flags.json ? JSON.stringify({ ...result, reproRun }, null, 2) : renderReproText(result));
    return result.verdict === "differs" ? 1 : 0;
  } catch (error) {
    out.error(`labnote repro: ${error instanceof Error ? error.message : String(error)}${error instanceof ReproCliError && /which version|unknown option|needs/.test(error.message) ? `\n\n${REPRO_USAGE}` : ""}`);
    return 2;
  }
}
