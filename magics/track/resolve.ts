// Naming runs: by id, unique id prefix, or name (the latest run of that name). Errors say what to do.
import type { RunRecord, Store } from "../../store/types.js";
import { MagicError } from "../types.js";

/** Runs left "running" by a kernel that stopped heart-beating this long ago are marked crashed. */
export const STALE_RUN_MS = 120_000;

function describe(run: RunRecord): string {
  return `${run.id.slice(0, 10)} (${run.name}, ${run.status}, ${new Date(run.startedAt).toISOString().slice(0, 16).replace("T", " ")})`;
}

export async function resolveRun(store: Store, reference: string): Promise<RunRecord> {
  const ref = reference.trim();
  if (ref === "") throw new MagicError("No run named: give a run id, a unique id prefix, or a run name (see %track runs).");
  const exact = await store.getRun(ref);
  if (exact) return exact;
  if (/^[0-9a-f]{4,}$/i.test(ref)) {
    const byPrefix = await store.findRuns({ idPrefix: ref.toLowerCase(), limit: 6 });
    if (byPrefix.length === 1) return byPrefix[0];
    if (byPrefix.length > 1) {
      throw new MagicError(`"${ref}" matches several runs: ${byPrefix.slice(0, 5).map(describe).join("; ")}${byPrefix.length > 5 ? "; …" : ""}. Give more characters of the id.`);
    }
  }
  const byName = await store.findRuns({ name: ref, limit: 1 });
  if (byName.length > 0) return byName[0];
  const recent = await store.findRuns({ limit: 5 });
  throw new MagicError(
    `No run matches "${ref}" (by id, id prefix or name). ` +
      (recent.length > 0 ? `Recent runs: ${recent.map(describe).join("; ")}. ` : "There are no runs in this project's store yet. ") +
      "List them with %track runs.",
  );
}

/** Resolves several references, reporting every one that is missing at once. */
export async function resolveRuns(store: Store, references: string[]): Promise<RunRecord[]> {
  const results = await Promise.allSettled(references.map((reference) => resolveRun(store, reference)));
  const failures = results.flatMap((result) => (result.status === "rejected" ? [(result.reason as Error).message] : []));
  if (failures.length > 0) throw new MagicError(failures.join("\n"));
  return results.map((result) => (result as PromiseFulfilledResult<RunRecord>).value);
}
