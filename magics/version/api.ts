// The %version library: what `import { version } from "labnote"` and the magic commands both call.
import { relative, resolve } from "node:path";
import { MagicError } from "../types.js";
import { hashData, type DataManifest } from "./data.js";
import { diffVersions, type VersionDiff } from "./diff.js";
import { isWithin, toProjectPath } from "./paths.js";
import { pullVersions, pushVersions, type SyncResult } from "./remote.js";
import { openConflicts, type DataConflict } from "./diverged.js";
import { resolveDataConflict, type ResolveResult } from "./resolve.js";
import { forgetEverywhere, type ForgetReport } from "./forget.js";
import { checkoutVersion, reproVersion, type CheckoutResult, type ReproReport } from "./restore.js";
import { currentSession, type VersionSession } from "./session.js";
import { commitVersion, listVersions, readVersion, readVersionNotebook, resolveVersion, type VersionRecord, type VersionSummary } from "./versions.js";

export type ProgressCallback = (doneBytes: number, totalBytes: number) => void;

export interface DeclaredData {
  path: string;
  test: boolean;
  manifest: DataManifest;
}

export async function declareData(session: VersionSession, path: string, options: { test?: boolean; onProgress?: ProgressCallback } = {}): Promise<DeclaredData> {
  const projectPath = toProjectPath(session.projectDir, resolve(session.projectDir, path)) || ".";
  const manifest = await hashData(session.projectDir, [path], { stateCache: session.states(), ...(options.onProgress ? { onProgress: options.onProgress } : {}) });
  if (manifest.items.length === 0) {
    throw new MagicError(manifest.problems[0]?.message ?? `${path} has no data to declare: give a file or a directory inside the project.`);
  }
  session.declare(projectPath, options.test ?? false);
  session.rememberHashes(manifest);
  return { path: projectPath, test: options.test ?? false, manifest };
}

/** True when `path` is, or lies inside, data declared with `%version data PATH --test`. */
export function isTestDataIn(session: VersionSession, path: string): boolean {
  const absolute = resolve(session.projectDir, path);
  for (const [declared, { test }] of session.declared) {
    if (test && isWithin(resolve(session.projectDir, declared), absolute)) return true;
  }
  return false;
}

export interface VersionApi {
  data(path: string, options?: { test?: boolean }): Promise<DeclaredData>;
  commit(message: string): Promise<VersionRecord>;
  log(limit?: number): Promise<VersionSummary[]>;
  show(spec: string): Promise<VersionRecord>;
  diff(a: string, b: string): Promise<VersionDiff>;
  checkout(spec: string, options?: { data?: boolean }): Promise<CheckoutResult>;
  push(remote: string, options?: { data?: string; force?: boolean }): Promise<SyncResult>;
  pull(remote: string, options?: { data?: string }): Promise<SyncResult>;
  repro(spec: string): Promise<ReproReport>;
  /** Removes the bytes (and their rows) from every cache, remote, artifact and store it reaches; scrub: rewrites refs/labnote too. */
  forget(pathOrHash: string, reason: string, options?: { scrub?: boolean }): Promise<ForgetReport>;
  /** Resolves a version name (id, unique prefix, @, @~N) to its full id. */
  resolve(spec: string): Promise<string>;
  /** Open data conflicts of pulled, diverged histories. */
  conflicts(): Promise<DataConflict[]>;
  /** Settles a data conflict with a version that takes one side's bytes (and restores them into the project). */
  resolveConflict(path: string, take: "ours" | "theirs"): Promise<ResolveResult>;
  /** Waits until every auto-snapshot queued so far is written. */
  flush(): Promise<void>;
}

export function versionApi(getSession: () => VersionSession = currentSession): VersionApi {
  return {
    data: (path, options) => declareData(getSession(), path, options),
    commit: (message) => commitVersion(getSession(), { message }),
    log: (limit) => listVersions(getSession(), limit),
    async show(spec) {
      const session = getSession();
      return readVersion((await session.repo()).gitdir, await resolveVersion(session, spec));
    },
    async diff(a, b) {
      const session = getSession();
      const { gitdir } = await session.repo();
      const [idA, idB] = [await resolveVersion(session, a), await resolveVersion(session, b)];
      const diff = diffVersions(await readVersion(gitdir, idA), await readVersionNotebook(gitdir, idA), await readVersion(gitdir, idB), await readVersionNotebook(gitdir, idB));
      return { ...diff, conflicts: await openConflicts(gitdir, session.versionsRef) };
    },
    async checkout(spec, options) {
      const session = getSession();
      return checkoutVersion(session, await resolveVersion(session, spec), { data: options?.data ?? false });
    },
    push: (remote, options) => pushVersions(getSession(), remote, options),
    pull: (remote, options) => pullVersions(getSession(), remote, options),
    async repro(spec) {
      const session = getSession();
      return reproVersion(session, await resolveVersion(session, spec));
    },
    forget: (target, reason, options) => forgetEverywhere(getSession(), target, { reason, scrub: options?.scrub ?? false }),
    resolve: (spec) => resolveVersion(getSession(), spec),
    async conflicts() {
      const session = getSession();
      return openConflicts((await session.repo()).gitdir, session.versionsRef);
    },
    resolveConflict: (path, take) => resolveDataConflict(getSession(), path, take),
    flush: () => getSession().flush(),
  };
}

export function relativeToProject(session: VersionSession, path: string): string {
  return relative(session.projectDir, resolve(session.projectDir, path));
}
