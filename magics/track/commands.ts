// The %track command layer: each subcommand is a small function over the library and the store.
import { mkdir, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import type { JSONValue } from "../../kernel/types.js";
import type { MetricPoint, RunRecord, Store } from "../../store/types.js";
import { MagicError, UsageError, type MagicContext, type MagicResult, type ParsedArgs } from "../types.js";
import { buildCompareChartSpec, buildRunChartSpec, type ChartSeries } from "../../widgets/charts/metric-panels.js";
import { Run } from "./run.js";
import { compileQuery, QueryError, resolvePath, sortRuns } from "./query.js";
import { resolveRun, resolveRuns, STALE_RUN_MS } from "./resolve.js";
import { compareRecords, type DiffRow } from "./diff.js";
import { escapeHtml, formatCell, htmlTable, samplesHtml, samplesText, textTable } from "./tables.js";
import { isInside } from "./artifacts.js";
import { renderRunReport } from "./report.js";

async function projectStore(ctx: MagicContext): Promise<Store> {
  const { getStore } = await import("../../store/index.js");
  try {
    return await getStore(ctx.session.projectDir);
  } catch (error) {
    throw new MagicError(`The run store could not be opened: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Runs whose kernel died: at once when it was on this host (its pid is gone), else after the heartbeat timeout. */
async function markCrashedRuns(store: Store): Promise<void> {
  const { markRunsOfDeadProcesses } = await import("../../store/run-owners.js");
  await markRunsOfDeadProcesses(store).catch(() => []);
  await store.markStaleRuns(Date.now() - STALE_RUN_MS).catch(() => []);
}

function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.options[name];
  return typeof value === "string" && value !== "" ? value : undefined;
}

export async function trackCell(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  const store = await projectStore(ctx);
  await markCrashedRuns(store);
  const params = (args.options.param ?? {}) as Record<string, JSONValue>;
  const tags = (args.options.tags as string[] | undefined) ?? [];
  const run = new Run({
    name: stringOption(args, "name"),
    params,
    tags,
    notes: stringOption(args, "notes"),
    splits: args.options.splits as string[] | undefined,
    panels: args.options.panels as string[] | undefined,
    projectDir: ctx.session.projectDir,
    store,
    display: ctx.display,
    warn: (message) => ctx.warn(message),
    code: ctx.session.cellCode,
    notebook: ctx.session.notebookPath,
    kernelId: ctx.session.kernelId,
  });
  try {
    await run.ready;
  } catch (error) {
    await run.end("failed").catch(() => undefined);
    throw new MagicError(`%%track could not record the run: ${error instanceof Error ? error.message : String(error)}`);
  }
  try {
    await ctx.execute(args.body, { globals: { run }, types: { run: 'import("labnote").Run' } });
  } catch (error) {
    await run.end("failed").catch(() => undefined);
    throw error;
  }
  await run.end("finished");
  const result = run.result();
  const metricRows = Object.entries(result.metrics).map(([key, value]) => [key, value]);
  const header = `run ${result.name} (${result.id.slice(0, 10)}) ${result.status}`;
  return {
    data: result,
    text: `${header}\n${textTable(["metric", "final"], metricRows)}${result.warnings.length > 0 ? `\nwarnings: ${result.warnings.join(", ")}` : ""}`,
    html: `<b>${escapeHtml(header)}</b>${htmlTable(["metric", "final"], metricRows)}`,
  };
}

const FIXED_COLUMNS = ["id", "name", "status", "started", "params"];

export async function listRuns(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  const where = stringOption(args, "where");
  const sort = stringOption(args, "sort");
  const limit = typeof args.options.limit === "number" ? args.options.limit : 20;
  let predicate: ((run: RunRecord) => boolean) | undefined;
  try {
    predicate = where ? compileQuery(where) : undefined;
  } catch (error) {
    if (error instanceof QueryError) throw new UsageError(error.message);
    throw error;
  }
  const store = await projectStore(ctx);
  await markCrashedRuns(store);
  return runsTable(await store.findRuns({ order: "newest" }), { predicate, sort, limit });
}

/** The runs table (pure: also used by the bench over 10,000 runs). */
export function runsTable(all: RunRecord[], options: { predicate?: (run: RunRecord) => boolean; sort?: string; limit: number }): MagicResult {
  let runs = options.predicate ? all.filter(options.predicate) : all;
  if (options.sort) runs = sortRuns(runs, options.sort);
  const shown = runs.slice(0, options.limit);
  const metricKeys = metricColumns(shown, options.sort);
  const headers = [...FIXED_COLUMNS, ...metricKeys];
  const rows = shown.map((run) => [
    run.id.slice(0, 10),
    run.name,
    run.status,
    new Date(run.startedAt).toISOString().slice(0, 16).replace("T", " "),
    Object.entries(run.params).map(([key, value]) => `${key}=${formatCell(value)}`).join(" "),
    ...metricKeys.map((key) => resolvePath(run, key)),
  ]);
  const more = runs.length > shown.length ? `${runs.length - shown.length} more (raise --limit)` : "";
  const caption = `${runs.length} of ${all.length} runs${more ? `; ${more}` : ""}`;
  return {
    data: { total: runs.length, runs: shown.map((run) => ({ id: run.id, name: run.name, status: run.status, startedAt: run.startedAt, endedAt: run.endedAt, tags: run.tags, params: run.params, metrics: run.summary })) },
    text: `${caption}\n${textTable(headers, rows)}`,
    html: htmlTable(headers, rows, { caption }),
  };
}

function metricColumns(runs: RunRecord[], sort: string | undefined): string[] {
  const keys = new Set<string>();
  if (sort) keys.add(sort.replace(/^[-+]/, ""));
  for (const run of runs) for (const [key, value] of Object.entries(run.summary)) if (typeof value === "number" && key !== "steps" && key !== "wall_time_s") keys.add(key);
  return [...keys].filter((key) => !key.startsWith("params.")).slice(0, 8);
}

export function seriesFromPoints(points: MetricPoint[], run?: string): ChartSeries[] {
  const groups = new Map<string, { key: string; split: string; steps: number[]; values: number[] }>();
  for (const point of points) {
    const id = `${point.split}\u0000${point.key}`;
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { key: point.key, split: point.split, steps: [], values: [] }));
    group.steps.push(point.step);
    group.values.push(point.value);
  }
  return [...groups.values()].map((group) => {
    const order = group.steps.map((_, index) => index).sort((a, b) => group.steps[a] - group.steps[b]);
    return { key: group.key, split: group.split, run, steps: order.map((index) => group.steps[index]), values: order.map((index) => group.values[index]) };
  });
}

export async function showRun(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  const store = await projectStore(ctx);
  const run = await resolveRun(store, String(args.positionals.ID ?? ""));
  const [points, artifacts, sampleCount] = await Promise.all([store.getMetrics(run.id), store.listArtifacts(run.id), store.countSamples(run.id)]);
  const panels = args.options.panels as string[] | undefined;
  // Per-layer series are left to the chart builder, which shows them when --panels names them.
  const shown = seriesFromPoints(points).map((series) => (series.split === "weights" && series.key === "global" ? { ...series, key: "weight_norm" } : series));
  if (points.length > 0) await ctx.display.vegaLite(buildRunChartSpec(shown, { title: run.name, panels }));
  const offset = typeof args.options.samples === "number" ? args.options.samples : 0;
  if (sampleCount > 0) {
    const rows = await store.getSamples(run.id, offset, 200);
    ctx.display.bundle({ "text/html": samplesHtml(rows, { total: sampleCount - offset, runRef: run.id.slice(0, 10), firstIndex: offset }), "text/plain": samplesText(rows) });
  }
  const rows: unknown[][] = [
    ["id", run.id],
    ["name", run.name],
    ["status", run.status],
    ["started", new Date(run.startedAt).toISOString()],
    ["duration_s", run.endedAt ? (run.endedAt - run.startedAt) / 1000 : null],
    ["tags", run.tags.join(", ")],
    ["seed", run.seed],
    ...Object.entries(run.params).map(([key, value]) => [`params.${key}`, value]),
    ...Object.entries(run.summary).map(([key, value]) => [key, value]),
    ...artifacts.map((artifact) => [`artifact ${artifact.name}`, `${artifact.size} B sha256:${artifact.sha256.slice(0, 16)}`]),
  ];
  return {
    data: { ...run, artifacts, samples: sampleCount, points: points.length },
    text: textTable(["field", "value"], rows),
    html: htmlTable(["field", "value"], rows) + (run.code ? `<details><summary>code</summary><pre>${escapeHtml(run.code)}</pre></details>` : ""),
  };
}

function diffHtml(title: string, names: string[], rows: DiffRow[]): string {
  if (rows.length === 0) return `<p><b>${escapeHtml(title)}</b>: identical</p>`;
  const highlighted = new Set(rows.flatMap((row, index) => (row.differs ? [index] : [])));
  return htmlTable([title, ...names], rows.map((row) => [row.key, ...row.values]), { highlightRows: highlighted });
}

function diffText(title: string, names: string[], rows: DiffRow[]): string {
  return rows.length === 0 ? `${title}: identical` : textTable([title, ...names, ""], rows.map((row) => [row.key, ...row.values, row.differs ? "≠" : ""]));
}

export async function compareRuns(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  const references = (args.positionals.ID as string[] | undefined) ?? [];
  if (references.length < 2) throw new UsageError(`%track compare needs at least two runs, got ${references.length}; e.g. %track compare lr-3e-3 lr-1e-2.`);
  const store = await projectStore(ctx);
  const runs = await resolveRuns(store, references);
  const names = runs.map((run) => (runs.filter((other) => other.name === run.name).length > 1 ? `${run.name} ${run.id.slice(0, 8)}` : run.name));
  const series = (await Promise.all(runs.map((run, index) => store.getMetrics(run.id).then((points) => seriesFromPoints(points, names[index]))))).flat();
  if (series.length > 0) await ctx.display.vegaLite(buildCompareChartSpec(series.filter((one) => one.split !== "weights"), { title: names.join(" vs ") }));
  const comparison = compareRecords(runs);
  const codeSections = comparison.code.map((diff, index) => ({ against: names[index + 1], diff }));
  const html = [
    diffHtml("params", names, comparison.params),
    diffHtml("metrics", names, comparison.metrics),
    diffHtml("environment (differences)", names, comparison.env),
    diffHtml("data (sha256)", names, comparison.data),
    ...codeSections.map((section) => (section.diff ? `<details><summary>code: ${escapeHtml(names[0])} → ${escapeHtml(section.against)}</summary><pre>${escapeHtml(section.diff)}</pre></details>` : `<p>code: ${escapeHtml(section.against)} identical to ${escapeHtml(names[0])}</p>`)),
  ].join("");
  const text = [
    diffText("params", names, comparison.params),
    diffText("metrics", names, comparison.metrics),
    diffText("environment", names, comparison.env),
    diffText("data", names, comparison.data),
    ...codeSections.map((section) => (section.diff ? `code ${names[0]} → ${section.against}:\n${section.diff}` : `code: ${section.against} identical`)),
  ].join("\n\n");
  return { data: comparison, text, html };
}

export async function deleteRun(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  const store = await projectStore(ctx);
  const run = await resolveRun(store, String(args.positionals.ID ?? ""));
  await store.deleteRun(run.id);
  await rm(join(ctx.session.projectDir, ".labnote", "artifacts", run.id), { recursive: true, force: true });
  const text = `deleted run ${run.name} (${run.id})`;
  return { data: { deleted: { id: run.id, name: run.name } }, text, html: `<p>${escapeHtml(text)}</p>` };
}

export async function reportRun(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  const store = await projectStore(ctx);
  const run = await resolveRun(store, String(args.positionals.ID ?? ""));
  const projectDir = resolve(ctx.session.projectDir);
  const out = resolve(projectDir, stringOption(args, "out") ?? join(".labnote", "reports", `${run.name.replace(/[^A-Za-z0-9_.-]/g, "_")}-${run.id.slice(0, 10)}.html`));
  if (!isInside(projectDir, out)) throw new MagicError(`%track report: ${out} is outside the project directory ${projectDir}; choose an --out path inside the project.`);
  const [points, artifacts] = await Promise.all([store.getMetrics(run.id), store.listArtifacts(run.id)]);
  const html = await renderRunReport(run, seriesFromPoints(points), artifacts);
  await mkdir(dirname(out), { recursive: true });
  await writeFile(out, html);
  const text = `report of run ${run.name} written to ${out} (${html.length} bytes)`;
  return { data: { path: out, bytes: html.length, run: run.id }, text, html: `<p>${escapeHtml(text)}</p>` };
}
