// Stores filled for the labnote ui server tests, and small HTTP helpers against a running server.
import type { MetricPoint, RunRecord, Store } from "../../../store/types.js";

export const SPIKE = 1000;

/** 30 finished runs: mlp-0 … mlp-29 with lr, act and val.acc; mlp-0 has a 100,000-point loss curve with one spike. */
export async function seedRuns(store: Store): Promise<RunRecord[]> {
  const runs: RunRecord[] = [];
  for (let index = 0; index < 30; index++) {
    runs.push(
      await store.createRun({
        name: index % 10 === 0 ? `cnn-${index}` : `mlp-${index}`,
        status: "finished",
        params: { lr: (index + 1) / 1000, act: ["relu", "tanh", "gelu"][index % 3]!, ...(index === 7 ? { width: 64 } : {}) },
        tags: index % 2 === 0 ? ["baseline"] : ["wide"],
        summary: { "val.acc": index / 30 },
        env: { backend: { name: "cpu", reason: "test" } },
        code: `%%track\nconst lr = ${(index + 1) / 1000};`,
        startedAt: 1_700_000_000_000 + index * 1000,
        endedAt: 1_700_000_000_000 + index * 1000 + 500,
      }),
    );
  }
  const points: MetricPoint[] = [];
  for (let step = 0; step < 100_000; step++) points.push({ runId: runs[0]!.id, key: "loss", split: "train", step, value: step === 73_123 ? SPIKE : 1 / (1 + step), wallTime: 1_700_000_000_000 + step });
  await store.appendMetrics(points);
  await store.appendMetrics([0, 1, 2].map((step) => ({ runId: runs[0]!.id, key: "loss", split: "val", step, value: 2 - step / 2, wallTime: 1_700_000_000_000 + step })));
  await store.appendMetrics(Array.from({ length: 10 }, (_, step) => ({ runId: runs[1]!.id, key: "loss", split: "train", step, value: 1 / (1 + step), wallTime: 1_700_000_000_000 + step })));
  return runs;
}

export async function getJson<T>(base: string, path: string, init: RequestInit = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(new URL(path, base), init);
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}
