// Stores a reproduction as a run of kind `repro` (tag "repro", params.version = V), linked to the version.
import type { Store } from "../../../store/types.js";
import { reproRunRecord, type ReproResult } from "./run.js";

export async function storeReproRun(store: Store, result: ReproResult, kernelId: string): Promise<string> {
  const endedAt = Date.now();
  const run = await store.createRun({ ...reproRunRecord(result, kernelId), status: "finished", startedAt: endedAt - result.durationMs, endedAt, heartbeatAt: endedAt });
  return run.id;
}
