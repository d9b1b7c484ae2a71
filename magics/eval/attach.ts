// Attaches a report to the tracked run in progress, if %track has one; evaluation never fails for want of a run.
import type { EvalReport } from "./report.js";

interface RunLike {
  summary(values: Record<string, number | string | null>): void;
}

/** path → sha256 of the data files this kernel session read or declared (from %version), when available. */
export async function sessionDataHashesIfAvailable(): Promise<Record<string, string> | undefined> {
  try {
    const versionModule = (await import("../version/index.js" as string)) as { sessionDataHashes?: () => Record<string, string> };
    const hashes = versionModule.sessionDataHashes?.();
    return hashes && Object.keys(hashes).length > 0 ? hashes : undefined;
  } catch {
    return undefined; // %version is not available in this build
  }
}

/** Puts the report's metrics (eval/<name>) and baseline deltas (eval/delta/<baseline>/<name>) in the run summary. */
export async function attachReportToRun(report: EvalReport): Promise<string | undefined> {
  let run: RunLike | undefined;
  try {
    const trackModule = (await import("../track/index.js" as string)) as { track?: { current(): RunLike | undefined } };
    run = trackModule.track?.current();
  } catch {
    return undefined; // %track is not available in this build
  }
  if (!run) return undefined;
  const values: Record<string, number | null> = {};
  for (const [name, value] of Object.entries(report.metrics)) values[`eval/${name}`] = Number.isFinite(value) ? value : null;
  for (const baseline of report.baselines) {
    for (const [name, value] of Object.entries(baseline.delta)) values[`eval/delta/${baseline.name}/${name}`] = Number.isFinite(value) ? value : null;
  }
  values["eval/warnings"] = report.warnings.length;
  run.summary(values);
  return (run as { id?: string }).id;
}
