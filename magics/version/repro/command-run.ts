// `%version repro V --run`: the kernel side of a reproduction (the session's repository, caches and store).
import { MagicError, type MagicResult } from "../../types.js";
import { localCache, remoteDataDir } from "../data-cache.js";
import { knownDataRemotes } from "../remote.js";
import type { VersionSession } from "../session.js";
import { notebookAsExecuted, resolveVersion } from "../versions.js";
import { storeReproRun } from "./record.js";
import { renderReproHtml, renderReproText } from "./render.js";
import { reproduceVersion, type ReproResult } from "./run.js";

export const DEFAULT_TOLERANCE = 1e-6;
export const DEFAULT_CELL_TIMEOUT_S = 600;

export interface ReproRunRequest {
  spec: string;
  tolerance?: number | undefined;
  backend?: string | undefined;
  timeoutSeconds?: number | undefined;
  /** Re-run the code as it is now in this kernel, compared with the version's record. */
  current?: boolean | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

export function checkedTolerance(value: number | undefined): number {
  const tolerance = value ?? DEFAULT_TOLERANCE;
  if (!Number.isFinite(tolerance) || tolerance < 0) throw new MagicError(`--tolerance must be a number ≥ 0 (relative; absolute below 1), not ${value}: e.g. --tolerance 1e-4.`);
  return tolerance;
}

export async function runReproInSession(session: VersionSession, request: ReproRunRequest): Promise<ReproResult & { reproRun: string | null }> {
  const tolerance = checkedTolerance(request.tolerance);
  const timeout = request.timeoutSeconds ?? DEFAULT_CELL_TIMEOUT_S;
  if (!Number.isFinite(timeout) || timeout <= 0) throw new MagicError(`--timeout must be a positive number of seconds per cell, not ${request.timeoutSeconds}.`);
  const id = await resolveVersion(session, request.spec);
  const { gitdir } = await session.repo();
  const caches = [localCache(session.projectDir), ...knownDataRemotes(session.projectDir).map((remote) => remoteDataDir(remote, session.projectDir))];
  const result = await reproduceVersion(gitdir, id, {
    tolerance,
    backend: request.backend,
    cellTimeoutMs: timeout * 1000,
    dataCaches: caches,
    projectDir: session.projectDir,
    notebook: request.current ? await notebookAsExecuted(session) : undefined,
    onProgress: request.onProgress,
  });
  let reproRun: string | null = null;
  try {
    const { getStore } = await import("../../../store/index.js");
    reproRun = await storeReproRun(await getStore(session.projectDir), result, session.kernelId);
  } catch {
    // no store here: the result is still returned
  }
  return { ...result, reproRun };
}

export function reproMagicResult(result: ReproResult): MagicResult {
  return { data: result, text: renderReproText(result), html: renderReproHtml(result) };
}
