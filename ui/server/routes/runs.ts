// The runs table and one run: /api/runs, /api/runs/groups, /api/runs/:id, samples, artifacts, DELETE.
import { createReadStream } from "node:fs";
import { realpath, stat } from "node:fs/promises";
import { rm } from "node:fs/promises";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import type { JSONObject, JSONValue } from "../../../kernel/types.js";
import { isInside } from "../../../magics/track/artifacts.js";
import { compileQuery, pathAccessor } from "../../../magics/track/query.js";
import type { RunRecord } from "../../../store/types.js";
import type { DeleteResponse, GroupsResponse, RunDetailResponse, RunsResponse, SamplesResponse } from "../../api.js";
import type { UiContext } from "../context.js";
import { HttpError, integerParam, notFound, stringParam } from "../http-error.js";
import { isSystemSeries, runRow, seriesByRun } from "../rows.js";
import { sortRunsByColumn } from "../sort.js";

type Query = Record<string, unknown>;

/** Filtered and sorted lists are cached per (where, sort) until the index changes, so paging costs a slice. */
class ListCache {
  private readonly entries = new Map<string, { version: number; runs: readonly RunRecord[]; columns?: RunsResponse["columns"] }>();

  constructor(private readonly context: UiContext) {}

  list(where: string | undefined, sort: string | undefined): { runs: readonly RunRecord[]; columns: () => RunsResponse["columns"] } {
    const key = `${where ?? ""}\u0000${sort ?? ""}`;
    const version = this.context.runs.version;
    let entry = this.entries.get(key);
    if (!entry || entry.version !== version) {
      let runs: readonly RunRecord[] = this.context.runs.all();
      if (where) runs = runs.filter(compileQuery(where));
      if (sort && sort !== "-startedAt" && sort !== "-started") runs = sortRunsByColumn(runs, sort);
      entry = { version, runs };
      this.entries.delete(key);
      this.entries.set(key, entry);
      while (this.entries.size > 4) this.entries.delete(this.entries.keys().next().value!);
    }
    const cached = entry;
    return { runs: cached.runs, columns: () => (cached.columns ??= columnsOf(cached.runs)) };
  }
}

function columnsOf(runs: readonly RunRecord[]): RunsResponse["columns"] {
  const params = new Set<string>();
  const metrics = new Set<string>();
  for (const run of runs) {
    for (const key in run.params) params.add(key);
    for (const key in run.summary) if (typeof run.summary[key] === "number") metrics.add(key);
  }
  return { params: [...params].sort(), metrics: [...metrics].sort() };
}

async function findRun(context: UiContext, id: string): Promise<RunRecord> {
  const run = await context.store.getRun(id);
  if (!run) throw notFound(`No run with id "${id}" in the store: pick one from /api/runs.`);
  return run;
}

function numericValues(values: unknown[]): number[] {
  return values.filter((value): value is number => typeof value === "number" && Number.isFinite(value));
}

export function registerRunRoutes(app: FastifyInstance, context: UiContext): void {
  const lists = new ListCache(context);

  app.get("/api/runs", async (request): Promise<RunsResponse> => {
    const started = performance.now();
    const query = request.query as Query;
    const where = stringParam(query, "where");
    const sort = stringParam(query, "sort");
    const limit = integerParam(query, "limit", { default: 100, min: 0, max: 1000 });
    const offset = integerParam(query, "offset", { default: 0, min: 0, max: Number.MAX_SAFE_INTEGER });
    if (sort !== undefined && !/^[-+]?[A-Za-z_][\w.\-]*$/.test(sort)) {
      throw new HttpError(400, `sort "${sort}" is not a column: use a path such as "-val.acc", "params.lr", "name" or "-startedAt".`);
    }
    if (where) compileQuery(where); // a malformed query is a 400 with its position before any work
    await context.runs.fresh();
    const list = lists.list(where, sort);
    const page = list.runs.slice(offset, offset + limit);
    const series = page.length > 0 ? await context.store.listSeries({ runIds: page.map((run) => run.id) }) : [];
    const byRun = seriesByRun(series);
    const runs = page.map((run) => runRow(run, byRun.get(run.id)));
    return { total: list.runs.length, offset, runs, columns: list.columns(), elapsedMs: Math.round((performance.now() - started) * 100) / 100 };
  });

  app.get("/api/runs/groups", async (request): Promise<GroupsResponse> => {
    const query = request.query as Query;
    const where = stringParam(query, "where");
    const by = stringParam(query, "by");
    const metric = stringParam(query, "metric");
    if (!by || !metric) throw new HttpError(400, 'groups need "by" (params.NAME or tags) and "metric" (e.g. val.acc): /api/runs/groups?by=params.act&metric=val.acc.');
    if (where) compileQuery(where);
    await context.runs.fresh();
    const runs = lists.list(where, undefined).runs;
    const groupValue = pathAccessor(by);
    const metricValue = pathAccessor(metric);
    const groups = new Map<string, { value: JSONValue; metrics: number[]; count: number }>();
    for (const run of runs) {
      const raw = groupValue(run);
      const values = by === "tags" && Array.isArray(raw) ? (raw as JSONValue[]) : [raw === undefined ? null : (raw as JSONValue)];
      for (const value of values) {
        const id = JSON.stringify(value);
        let group = groups.get(id);
        if (!group) groups.set(id, (group = { value, metrics: [], count: 0 }));
        group.count++;
        group.metrics.push(...numericValues([metricValue(run)]));
      }
    }
    return {
      by,
      metric,
      groups: [...groups.values()]
        .map(({ value, metrics, count }) => ({
          value,
          count,
          mean: metrics.length ? metrics.reduce((sum, x) => sum + x, 0) / metrics.length : null,
          min: metrics.length ? Math.min(...metrics) : null,
          max: metrics.length ? Math.max(...metrics) : null,
        }))
        .sort((a, b) => b.count - a.count || JSON.stringify(a.value).localeCompare(JSON.stringify(b.value))),
    };
  });

  app.get("/api/runs/:id", async (request): Promise<RunDetailResponse> => {
    const { id } = request.params as { id: string };
    const run = await findRun(context, id);
    const [series, artifacts, sampleCount] = await Promise.all([
      context.store.listSeries({ runIds: [id] }),
      context.store.listArtifacts(id),
      context.store.countSamples(id),
    ]);
    const warnings = Array.isArray(run.summary.warnings) ? run.summary.warnings : [];
    return {
      run: {
        ...runRow(run, series),
        env: run.env,
        summary: run.summary,
        seed: run.seed,
        code: run.code,
        notebook: run.notebook,
        dataHashes: run.dataHashes,
        kernelId: run.kernelId,
        host: run.host,
      },
      series: series.map((stats) => ({ key: stats.key, split: stats.split, points: stats.count, system: isSystemSeries(stats.split) })),
      warnings: warnings.map((warning) => describeWarning(warning)),
      artifacts: artifacts.map((artifact) => ({
        name: artifact.name,
        sha256: artifact.sha256,
        size: artifact.size,
        createdAt: artifact.createdAt,
        url: `/api/runs/${encodeURIComponent(id)}/artifacts/${encodeURIComponent(artifact.name)}`,
      })),
      sampleCount,
      evalReport: evalReportOf(run.summary),
    };
  });

  app.get("/api/runs/:id/samples", async (request): Promise<SamplesResponse> => {
    const { id } = request.params as { id: string };
    const query = request.query as Query;
    const offset = integerParam(query, "offset", { default: 0, min: 0, max: Number.MAX_SAFE_INTEGER });
    const limit = integerParam(query, "limit", { default: 100, min: 1, max: 1000 });
    const filter = stringParam(query, "filter")?.toLowerCase();
    await findRun(context, id);
    if (!filter) {
      const [rows, total] = await Promise.all([context.store.getSamples(id, offset, limit), context.store.countSamples(id)]);
      return { total, offset, rows };
    }
    const matching = (await context.store.getSamples(id)).filter((row) =>
      [row.input, row.pred, row.label].some((value) => (typeof value === "string" ? value : JSON.stringify(value)).toLowerCase().includes(filter)),
    );
    return { total: matching.length, offset, rows: matching.slice(offset, offset + limit) };
  });

  app.get("/api/runs/:id/artifacts/*", async (request, reply) => {
    const { id, "*": name } = request.params as { id: string; "*": string };
    const missing = notFound(`Run "${id}" has no artifact "${name}": the run's page lists its artifacts.`);
    // The name must be one the store recorded, and its bytes must lie inside the artifact store: no path reaches out.
    if (!context.artifactsRoot || name.includes("\0")) throw missing;
    const artifact = (await context.store.listArtifacts(id)).find((one) => one.name === name);
    if (!artifact) throw missing;
    let location: string;
    let root: string;
    try {
      root = await realpath(context.artifactsRoot);
      location = await realpath(artifact.location);
    } catch {
      throw missing;
    }
    if (!isInside(join(root, id), location) || !(await stat(location)).isFile()) throw missing;
    const fileName = name.split("/").pop()!.replace(/[^\w.\-]/g, "_");
    return reply
      .type("application/octet-stream")
      .header("content-disposition", `attachment; filename="${fileName}"`)
      .send(createReadStream(location));
  });

  app.delete("/api/runs/:id", async (request): Promise<DeleteResponse> => {
    const { id } = request.params as { id: string };
    if (!context.info.allowDelete) throw new HttpError(403, "This labnote ui is read-only: restart it with --allow-delete to delete runs.");
    await findRun(context, id);
    await context.store.deleteRun(id);
    if (context.artifactsRoot && /^[\w-]+$/.test(id)) await rm(join(context.artifactsRoot, id), { recursive: true, force: true });
    context.runs.remove(id);
    return { deleted: id };
  });
}

/** %eval attaches its report to the run's summary as eval/NAME and eval/delta/BASELINE/NAME (magics/eval/attach.ts). */
function evalReportOf(summary: Record<string, JSONValue>): JSONObject | null {
  const metrics: JSONObject = {};
  const deltas: Record<string, JSONObject> = {};
  let warnings: JSONValue = null;
  for (const [key, value] of Object.entries(summary)) {
    if (!key.startsWith("eval/")) continue;
    const parts = key.split("/");
    if (parts[1] === "delta" && parts.length >= 4) (deltas[parts[2]!] ??= {})[parts.slice(3).join("/")] = value;
    else if (key === "eval/warnings") warnings = value;
    else metrics[parts.slice(1).join("/")] = value;
  }
  if (Object.keys(metrics).length === 0 && Object.keys(deltas).length === 0) return null;
  return { metrics, baselines: deltas, warnings };
}

function describeWarning(warning: JSONValue): { step: number | null; kind: string; message: string } {
  if (typeof warning === "string") {
    const step = /step (\d+)/.exec(warning)?.[1];
    return { step: step === undefined ? null : Number(step), kind: /^([\w-]+):/.exec(warning)?.[1] ?? "warning", message: warning };
  }
  if (warning !== null && typeof warning === "object" && !Array.isArray(warning)) {
    const object = warning as Record<string, JSONValue>;
    return {
      step: typeof object.step === "number" ? object.step : null,
      kind: typeof object.kind === "string" ? object.kind : "warning",
      message: typeof object.message === "string" ? object.message : JSON.stringify(warning),
    };
  }
  return { step: null, kind: "warning", message: String(warning) };
}
