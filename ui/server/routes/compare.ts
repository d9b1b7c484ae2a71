// GET /api/compare?ids=A,B,C&differencesOnly=1 — the content of `%track compare`, from the same functions:
// compareRecords (magics/track/diff.ts) and buildCompareChartSpec (widgets/charts).
import type { FastifyInstance } from "fastify";
import type { JSONObject, JSONValue } from "../../../kernel/types.js";
import { compareRecords, type DiffRow } from "../../../magics/track/diff.js";
import type { RunRecord } from "../../../store/types.js";
import { buildCompareChartSpec, type ChartSeries } from "../../../widgets/charts/metric-panels.js";
import type { CompareResponse } from "../../api.js";
import type { UiContext } from "../context.js";
import { idListParam, notFound, stringParam } from "../http-error.js";
import { isSystemSeries, runRow, seriesByRun } from "../rows.js";
import { seriesBuckets } from "./metrics.js";

/** Chart resolution per series: the chart builder downsamples further for display. */
const CHART_BUCKETS = 1000;

function displayNames(runs: readonly RunRecord[]): string[] {
  return runs.map((run) => (runs.filter((other) => other.name === run.name).length > 1 ? `${run.name} ${run.id.slice(0, 8)}` : run.name));
}

async function chartSeries(context: UiContext, runs: readonly RunRecord[], names: readonly string[]): Promise<ChartSeries[]> {
  const stats = await context.store.listSeries({ runIds: runs.map((run) => run.id) });
  const byRun = new Map(runs.map((run, index) => [run.id, names[index]!]));
  return Promise.all(
    stats
      .filter((one) => !isSystemSeries(one.split))
      .map(async (one) => {
        const buckets = await seriesBuckets(context.store, one, CHART_BUCKETS);
        return { key: one.key, split: one.split, run: byRun.get(one.runId), steps: buckets.map((bucket) => bucket.x1), values: buckets.map((bucket) => bucket.last) };
      }),
  );
}

export function registerCompareRoute(app: FastifyInstance, context: UiContext): void {
  app.get("/api/compare", async (request): Promise<CompareResponse> => {
    const query = request.query as Record<string, unknown>;
    const ids = idListParam(query, "ids", { min: 2, max: 20 });
    const differencesOnly = ["1", "true", "yes"].includes(stringParam(query, "differencesOnly") ?? "");
    const runs = await Promise.all(ids.map(async (id) => (await context.store.getRun(id)) ?? Promise.reject(notFound(`No run with id "${id}" in the store: pick runs from /api/runs.`))));
    const comparison = compareRecords(runs);
    const section = (name: CompareResponse["rows"][number]["section"], rows: DiffRow[]): CompareResponse["rows"] =>
      rows
        .filter((row) => !differencesOnly || row.differs)
        .map((row) => ({ section: name, key: row.key, values: row.values.map((value) => (value === undefined ? null : (value as JSONValue))), different: row.differs }));
    const names = displayNames(runs);
    const series = await chartSeries(context, runs, names);
    const byRun = seriesByRun(await context.store.listSeries({ runIds: ids }));
    return {
      runs: runs.map((run) => runRow(run, byRun.get(run.id))),
      rows: [...section("params", comparison.params), ...section("metrics", comparison.metrics), ...section("env", comparison.env), ...section("data", comparison.data)],
      codeDiffs: comparison.code.map((diff, index) => ({ runId: runs[index + 1]!.id, diff })),
      chart: series.length > 0 ? (buildCompareChartSpec(series, { title: names.join(" vs ") }) as JSONObject) : null,
    };
  });
}
