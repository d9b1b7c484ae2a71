// Public API of %version: `import { version, sessionDataHashes } from "labnote"`.
import { isTestDataIn, versionApi } from "./api.js";
import { currentSession, peekSession } from "./session.js";

export const version = versionApi();

/**
 * path → sha256 of the data files read or declared in this kernel session (no I/O: what the session has seen).
 * Files read by the cell still running show "pending" until the cell's snapshot has hashed them.
 */
export function sessionDataHashes(): Record<string, string> {
  return peekSession()?.hashesSoFar() ?? {};
}

/** True when `path` is, or lies inside, data declared with `%version data PATH --test` (the %tune guard). */
export function isTestData(path: string): boolean {
  const session = peekSession();
  return session ? isTestDataIn(session, path) : false;
}

/** Project paths declared as test data in this session. */
export function declaredTestData(): string[] {
  const session = peekSession();
  return session ? [...session.declared].filter(([, value]) => value.test).map(([path]) => path) : [];
}

export { currentSession };
export type { VersionApi, DeclaredData } from "./api.js";
export type { VersionRecord, VersionSummary, VersionRun } from "./versions.js";
export type { VersionDiff } from "./diff.js";
export type { CheckoutResult, ReproReport, ForgetResult } from "./restore.js";
export type { SyncResult } from "./remote.js";
export type { DataManifest, ManifestEntry, DataItem } from "./data.js";
// Row-level data diff (a pure library function: the dashboard and scripts call it with two file paths).
export { diffDataRows, TableFormatError } from "./row-diff.js";
export type { RowDiff, RowDiffOptions, ChangedRow } from "./row-diff.js";
export type { ColumnDrift } from "./row-drift.js";
export type { VersionRowDiff } from "./row-diff-versions.js";
export type { ForgetReport } from "./forget.js";
export type { DataConflict } from "./diverged.js";
export type { ResolveResult } from "./resolve.js";
