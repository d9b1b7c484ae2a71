// /run/ID?samples=OFFSET&filter= — everything recorded about one run: params, summary and system metrics, curves,
// environment, code, data hashes, anomaly warnings, samples (paged, filterable), artifacts and its %eval report.
// While the run is running, its curves, status and metrics follow it live through /api/live (server-sent events).
import type { JSONObject, JSONValue } from "../../../kernel/types.js";
import type { LiveEvent, MetricSeriesResponse, RunDetailResponse, RunRow, SamplesResponse } from "../../api.js";
import { appendPointsToBuckets, buildBucketPanelsSpec, type BucketSeries } from "../../../widgets/charts/bucket-panels.js";
import { apiEvents, apiGet, downloadUrl } from "../api-client.js";
import { drawChart } from "../charts.js";
import { clear, formatDuration, formatNumber, formatTime, formatValue, h, keyValueTable, put, section, type Child } from "../dom.js";
import type { ViewContext } from "../router.js";

const SAMPLES_PAGE = 25;
const RUN_BUCKETS = 500;
const LIVE_REDRAW_MS = 250;
const SYSTEM_SPLITS = new Set(["system", "weights"]);

export async function runView(context: ViewContext): Promise<void> {
  const { root } = context;
  const id = context.segments[0];
  const detail = await apiGet<RunDetailResponse>(`/api/runs/${encodeURIComponent(id)}`);
  if (context.left()) return;
  const { run } = detail;

  const metricEntries = (metrics: RunRow["metrics"]): [string, unknown][] =>
    Object.entries(metrics).map(([name, value]): [string, unknown] => [
      name,
      value.min === null && value.max === null ? formatNumber(value.last) : `${formatNumber(value.last)}   (min ${formatNumber(value.min)}, max ${formatNumber(value.max)})`,
    ]);
  const live = run.status === "running";
  const systemSeries = detail.series.filter((one) => one.system);
  const curveKeys = [...new Set(detail.series.filter((one) => !one.system).map((one) => one.key))];
  const curvesHolder = h("div", { class: "chart run-chart" });
  const systemHolder = h("div", { class: "chart system-chart" });
  const statusBadge = h("span", { class: `status status-${run.status}` }, run.status);
  const durationText = h("span", {}, run.duration !== null ? ` · ${formatDuration(run.duration)}` : "");
  const metricsHolder = h("div", {}, keyValueTable(metricEntries(run.metrics)));
  const liveNote = h("span", { class: "live muted small" });

  put(
    root,
    h(
      "header",
      { class: "run-header" },
      h("h1", {}, run.name || run.id, " ", statusBadge, " ", liveNote),
      h(
        "p",
        { class: "muted" },
        h("code", {}, run.id),
        ` · started ${formatTime(run.startedAt)}`,
        durationText,
        run.backend ? ` · backend ${run.backend}` : "",
        run.versionId ? [" · version ", h("code", {}, run.versionId.slice(0, 10))] : "",
        run.studyName ? [" · ", h("a", { href: `/studies/${encodeURIComponent(run.studyName)}` }, `study ${run.studyName} trial ${run.trialNumber ?? "?"}`)] : "",
      ),
      run.tags.length ? h("p", {}, run.tags.map((tag) => h("span", { class: "tag" }, tag))) : null,
      h("p", {}, h("a", { class: "button", href: `/curves?runs=${encodeURIComponent(run.id)}` }, "Open curves")),
    ),
    detail.warnings.length
      ? section(
          `Anomaly warnings (${detail.warnings.length})`,
          h("ul", { class: "warnings" }, detail.warnings.map((warning) => h("li", {}, h("strong", {}, warning.kind), warning.step !== null ? ` at step ${warning.step}: ` : ": ", warning.message))),
        )
      : null,
    h(
      "div",
      { class: "columns" },
      section("Params", keyValueTable(Object.entries(run.params))),
      section("Metrics (final, min, max)", metricsHolder),
      section("Summary", keyValueTable(Object.entries(run.summary))),
    ),
    curveKeys.length || live ? section("Curves", curvesHolder) : null,
    systemSeries.length ? section("System metrics", systemHolder) : null,
    section("Environment", keyValueTable(Object.entries(flatten(run.env)).concat(run.seed !== null ? [["seed", run.seed]] : []).concat(run.host ? [["host", run.host]] : []))),
    run.code ? section(`Code${run.notebook ? ` (${run.notebook})` : ""}`, h("pre", { class: "code" }, run.code)) : null,
    section("Data", keyValueTable(Object.entries(run.dataHashes), "no data files recorded")),
    detail.evalReport ? section("Evaluation report (%eval)", evalReport(detail.evalReport)) : null,
    section(
      `Artifacts (${detail.artifacts.length})`,
      detail.artifacts.length
        ? h(
            "table",
            { class: "grid" },
            h("thead", {}, h("tr", {}, h("th", {}, "name"), h("th", { class: "num" }, "size"), h("th", {}, "sha256"), h("th", {}, "saved"))),
            h("tbody", {}, detail.artifacts.map((artifact) => h("tr", {}, h("td", {}, h("a", { href: downloadUrl(artifact.url), download: artifact.name }, artifact.name)), h("td", { class: "num" }, formatBytes(artifact.size)), h("td", {}, h("code", {}, artifact.sha256.slice(0, 12))), h("td", {}, formatTime(artifact.createdAt))))),
          )
        : h("p", { class: "muted" }, "none"),
    ),
    detail.sampleCount > 0 ? section(`Samples (${detail.sampleCount})`, samplesTable(context, id)) : null,
  );

  const label = run.name || run.id.slice(-8);
  const systemKeys = [...new Set(systemSeries.map((one) => one.key))];
  const groups = {
    curves: { holder: curvesHolder, series: new Map<string, BucketSeries>(), width: 340, height: 180 },
    system: { holder: systemHolder, series: new Map<string, BucketSeries>(), width: 260, height: 120 },
  };
  const draw = (group: (typeof groups)["curves"]): Promise<unknown> =>
    group.holder.isConnected ? drawChart(group.holder, buildBucketPanelsSpec([...group.series.values()], { columns: 3, panelWidth: group.width, panelHeight: group.height })) : Promise.resolve();
  const [curveSeries, systemSeriesLoaded] = await Promise.all([loadSeries(run.id, label, curveKeys), loadSeries(run.id, label, systemKeys)]);
  if (context.left()) return;
  for (const one of curveSeries) groups.curves.series.set(`${one.metric}\u0000${one.split}`, one);
  for (const one of systemSeriesLoaded) groups.system.series.set(`${one.metric}\u0000${one.split}`, one);
  const charts: Promise<unknown>[] = [];
  if (curveKeys.length || live) charts.push(draw(groups.curves));
  if (systemKeys.length) charts.push(draw(groups.system));
  await Promise.all(charts);
  if (!live || context.left()) return;

  // Live: new points merge into the buckets (as the curves view does), status and metrics follow the run's row.
  const events = apiEvents("/api/live", { runs: run.id });
  context.onLeave(() => events.close());
  const dirty = new Set<(typeof groups)["curves"]>();
  let timer = 0;
  context.onLeave(() => window.clearTimeout(timer));
  const schedule = (): void => {
    if (timer) return;
    // One redraw at a time: points arriving meanwhile wait for the next.
    timer = window.setTimeout(async () => {
      const redraw = [...dirty];
      dirty.clear();
      await Promise.all(redraw.map(draw)).catch(() => undefined);
      timer = 0;
      if (dirty.size > 0 && !context.left()) schedule();
    }, LIVE_REDRAW_MS);
  };
  events.onopen = () => (liveNote.textContent = statusBadge.textContent === "running" ? "live" : "");
  events.onerror = () => (liveNote.textContent = statusBadge.textContent === "running" ? "live updates paused (reconnecting)…" : "");
  events.onmessage = (message) => {
    const event = JSON.parse(String(message.data)) as LiveEvent;
    if (event.type === "points") {
      const group = SYSTEM_SPLITS.has(event.split) ? groups.system : groups.curves;
      const id = `${event.key}\u0000${event.split}`;
      const existing = group.series.get(id);
      group.series.set(id, { run: label, metric: event.key, split: event.split, buckets: appendPointsToBuckets(existing?.buckets ?? [], event.points, RUN_BUCKETS) });
      dirty.add(group);
      schedule();
    } else if (event.type === "run") {
      const row = event.run;
      statusBadge.textContent = row.status;
      statusBadge.className = `status status-${row.status}`;
      durationText.textContent = row.duration !== null ? ` · ${formatDuration(row.duration)}` : "";
      clear(metricsHolder);
      metricsHolder.append(keyValueTable(metricEntries(row.metrics)));
      if (row.status !== "running") {
        liveNote.textContent = "";
        // Ended: nothing more will come once the points of its last flush have (they can trail the status by a poll).
        const closing = window.setTimeout(() => events.close(), 2000);
        context.onLeave(() => window.clearTimeout(closing));
      }
    }
  };
}

/** A run's series of these metric keys as server buckets (every split of each key). */
async function loadSeries(runId: string, label: string, keys: string[]): Promise<BucketSeries[]> {
  const responses = await Promise.all(keys.map((key) => apiGet<MetricSeriesResponse>(`/api/runs/${encodeURIComponent(runId)}/metrics/${encodeURIComponent(key)}`, { buckets: RUN_BUCKETS })));
  return responses.flatMap((response) => response.series.map((one) => ({ run: label, metric: response.key, split: one.split, buckets: one.buckets })));
}

function samplesTable(context: ViewContext, runId: string): HTMLElement {
  const holder = h("div", { class: "samples" });
  const state = { offset: Number(context.params.get("samples") ?? 0) || 0, filter: context.params.get("filter") ?? "" };
  const filterInput = h("input", { type: "search", name: "filter", value: state.filter, placeholder: "filter input / pred / label", "aria-label": "filter samples" });
  const body = h("div", {});
  holder.append(
    h("form", { class: "query-bar", onsubmit: (event) => (event.preventDefault(), (state.filter = filterInput.value), (state.offset = 0), void load()) }, filterInput, h("button", { type: "submit" }, "Filter")),
    body,
  );
  async function load(): Promise<void> {
    context.setParams({ samples: state.offset ? String(state.offset) : null, filter: state.filter || null });
    const page = await apiGet<SamplesResponse>(`/api/runs/${encodeURIComponent(runId)}/samples`, { offset: state.offset, limit: SAMPLES_PAGE, filter: state.filter });
    if (context.left()) return;
    clear(body);
    const extraKeys = [...new Set(page.rows.flatMap((row) => Object.keys(row.extra ?? {})))];
    body.append(
      h(
        "table",
        { class: "grid samples-table" },
        h("thead", {}, h("tr", {}, h("th", { class: "num" }, "#"), h("th", {}, "input"), h("th", {}, "pred"), h("th", {}, "label"), extraKeys.map((key) => h("th", {}, key)))),
        h(
          "tbody",
          {},
          page.rows.map((row) =>
            h(
              "tr",
              { class: JSON.stringify(row.pred) !== JSON.stringify(row.label) ? "mismatch" : null },
              h("td", { class: "num" }, row.index),
              h("td", {}, formatValue(row.input)),
              h("td", {}, formatValue(row.pred)),
              h("td", {}, formatValue(row.label)),
              extraKeys.map((key) => h("td", {}, formatValue(row.extra?.[key]))),
            ),
          ),
        ),
      ),
      h(
        "div",
        { class: "pager" },
        h("button", { type: "button", disabled: state.offset === 0, onclick: () => ((state.offset = Math.max(0, state.offset - SAMPLES_PAGE)), void load()) }, "← previous"),
        h("span", { class: "muted" }, page.total === 0 ? "no matching samples" : `${page.offset + 1}–${page.offset + page.rows.length} of ${page.total}`),
        h("button", { type: "button", disabled: state.offset + SAMPLES_PAGE >= page.total, onclick: () => ((state.offset += SAMPLES_PAGE), void load()) }, "next →"),
      ),
    );
  }
  void load();
  return holder;
}

/** An %eval report: its metrics as a table, baselines beside them, slices and behavioural tests as tables. */
function evalReport(report: JSONObject): HTMLElement {
  const parts: Child[] = [];
  const metrics = report.metrics;
  if (metrics && typeof metrics === "object" && !Array.isArray(metrics)) {
    parts.push(h("h3", {}, "Metrics"), keyValueTable(Object.entries(metrics).filter(([, value]) => typeof value !== "object" || value === null)));
  }
  for (const [key, value] of Object.entries(report)) {
    if (key === "metrics") continue;
    parts.push(h("h3", {}, key), jsonBlock(value));
  }
  return h("div", { class: "eval-report" }, parts);
}

/** Arrays of flat objects as tables, anything else as indented JSON. */
export function jsonBlock(value: JSONValue | undefined): HTMLElement {
  if (Array.isArray(value) && value.length > 0 && value.every((item) => item !== null && typeof item === "object" && !Array.isArray(item))) {
    const rows = value as JSONObject[];
    const keys = [...new Set(rows.flatMap((row) => Object.keys(row)))];
    return h("table", { class: "grid" }, h("thead", {}, h("tr", {}, keys.map((key) => h("th", {}, key)))), h("tbody", {}, rows.slice(0, 200).map((row) => h("tr", {}, keys.map((key) => h("td", {}, formatValue(row[key])))))));
  }
  if (value !== null && typeof value === "object" && !Array.isArray(value) && Object.values(value).every((item) => item === null || typeof item !== "object")) {
    return keyValueTable(Object.entries(value));
  }
  return h("pre", { class: "json" }, JSON.stringify(value, null, 2));
}

function flatten(object: JSONObject, prefix = ""): Record<string, JSONValue> {
  const flat: Record<string, JSONValue> = {};
  for (const [key, value] of Object.entries(object)) {
    if (value !== null && typeof value === "object" && !Array.isArray(value)) Object.assign(flat, flatten(value, `${prefix}${key}.`));
    else flat[`${prefix}${key}`] = value;
  }
  return flat;
}

function formatBytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 ** 2) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 ** 2).toFixed(1)} MB`;
}
