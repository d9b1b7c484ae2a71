// GET /api/runs/:id/metrics/:key?buckets=N&split=&after=STEP — a curve as min/max/last buckets (ui/api.ts).
import type { FastifyInstance } from "fastify";
import type { SeriesStats, Store } from "../../../store/types.js";
import type { MetricBucket, MetricSeriesResponse } from "../../api.js";
import { bucketsFromBlocks, bucketsFromPoints } from "../buckets.js";
import type { UiContext } from "../context.js";
import { integerParam, notFound, numberParam, stringParam } from "../http-error.js";
import { metricName } from "../rows.js";

/** Up to this many points a series is bucketed from its points (exact at any resolution); beyond, from summary blocks. */
const POINTS_READ_LIMIT = 50_000;

/** Bucketed curves of big series, reused while the series has not grown (a finished run's never changes). */
const CACHED_BUCKETS = 60_000;
let cachedBuckets = 0;
const curveCache = new Map<string, { count: number; seq: number; buckets: MetricBucket[] }>();

function cachedCurve(stats: SeriesStats, buckets: number): { id: string; hit: MetricBucket[] | undefined } {
  const id = `${stats.runId}\u0000${stats.key}\u0000${stats.split}\u0000${buckets}`;
  const entry = curveCache.get(id);
  if (!entry || entry.count !== stats.count || entry.seq !== stats.seq) return { id, hit: undefined };
  curveCache.delete(id);
  curveCache.set(id, entry);
  return { id, hit: entry.buckets };
}

/** Block reads of big series run two at a time: twenty curves requested at once then hold a tenth of the memory. */
const BLOCK_READS_AT_ONCE = 2;
let blockReads = 0;
const waiting: (() => void)[] = [];
async function withBlockReadSlot<T>(work: () => Promise<T>): Promise<T> {
  if (blockReads >= BLOCK_READS_AT_ONCE) await new Promise<void>((resolve) => waiting.push(resolve));
  blockReads++;
  try {
    return await work();
  } finally {
    blockReads--;
    waiting.shift()?.();
  }
}

/** One series as at most `buckets` buckets; `after` keeps only points with a larger step (read from the points). */
export async function seriesBuckets(store: Store, stats: SeriesStats, buckets: number, after?: number): Promise<MetricBucket[]> {
  if (after === undefined && stats.count > POINTS_READ_LIMIT) {
    const { id, hit } = cachedCurve(stats, buckets);
    if (hit) return hit;
    const computed = await withBlockReadSlot(async () => bucketsFromBlocks(await store.getMetricBlocks(stats.runId, stats.key, stats.split), buckets));
    const replaced = curveCache.get(id);
    if (replaced) cachedBuckets -= replaced.buckets.length;
    curveCache.delete(id);
    curveCache.set(id, { count: stats.count, seq: stats.seq, buckets: computed });
    cachedBuckets += computed.length;
    while (cachedBuckets > CACHED_BUCKETS && curveCache.size > 1) {
      const [oldest, entry] = curveCache.entries().next().value!;
      curveCache.delete(oldest);
      cachedBuckets -= entry.buckets.length;
    }
    return computed;
  }
  let points = await store.getMetrics(stats.runId, { key: stats.key, split: stats.split });
  if (after !== undefined) points = points.filter((point) => point.step > after);
  return bucketsFromPoints(points, buckets);
}

export function registerMetricRoutes(app: FastifyInstance, context: UiContext): void {
  app.get("/api/runs/:id/metrics/:key", async (request): Promise<MetricSeriesResponse> => {
    const { id, key } = request.params as { id: string; key: string };
    const query = request.query as Record<string, unknown>;
    const buckets = integerParam(query, "buckets", { default: 1000, min: 1, max: 10_000 });
    const split = stringParam(query, "split");
    const after = numberParam(query, "after");
    const all = await context.store.listSeries({ runIds: [id] });
    if (all.length === 0 && !(await context.store.getRun(id))) throw notFound(`No run with id "${id}" in the store: pick one from /api/runs.`);
    const matching = all.filter((stats) => stats.key === key && (split === undefined || stats.split === split));
    if (matching.length === 0) {
      const known = [...new Set(all.map((stats) => metricName(stats.key, stats.split)))].sort();
      throw notFound(`Run "${id}" has no metric "${split ? `${split}.` : ""}${key}"${known.length ? `; it has ${known.slice(0, 30).join(", ")}` : "; it has logged no metrics yet"}.`);
    }
    const series = await Promise.all(
      matching.map(async (stats) => ({ split: stats.split, points: stats.count, lastStep: stats.lastStep, buckets: await seriesBuckets(context.store, stats, buckets, after) })),
    );
    return { runId: id, key, series };
  });
}
