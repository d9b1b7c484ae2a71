// /run/ID?samples=OFFSET&filter= — everything recorded about one run: params, summary and system metrics, curves,
// environment, code, data hashes, anomaly warnings, samples (paged, filterable), artifacts and its %eval report.
import type { JSONObject, JSONValue } from "../../../kernel/types.js";
import type { MetricSeriesResponse, RunDetailResponse, SamplesResponse } from "../../api.js";
import { buildBucketPanelsSpec, type BucketSeries } from "../../../widgets/charts/bucket-panels.js";
import { apiGet, downloadUrl } from "../api-client.js";
import { drawChart } from "../charts.js";
import { clear, formatDuration, formatNumber, formatTime, formatValue, h, keyValueTable, put, section, type Child } from "../dom.js";
import type { ViewContext } from "../router.js";

const SAMPLES_PAGE = 25;

export async function runView(context: ViewContext): Promise<void> {
  const { root } = context;
  const id = context.segments[0];
  const detail = await apiGet<RunDetailResponse>(`/api/runs/${encodeURIComponent(id)}`);
  if (context.left()) return;
  const { run } = detail;

  const metricEntries = Object.entries(run.metrics).map(([name, value]): [string, unknown] => [
    name,
    value.min === null && value.max === null ? formatNumber(value.last) : `${formatNumber(value.last)}   (min ${formatNumber(value.min)}, max ${formatNumber(value.max)})`,
  ]);
  const systemSeries = detail.series.filter((one) => one.system);
  const curveKeys = [...new Set(detail.series.filter((one) => !one.system).map((one) => one.key))];
  const curvesHolder = h("div", { class: "chart run-chart" });
  const systemHolder = h("div", { class: "chart system-chart" });

  put(
    root,
    h(
      "header",
      { class: "run-header" },
      h("h1", {}, run.name || run.id, " ", h("span", { class: `status status-${run.status}` }, run.status)),
      h(
        "p",
        { class: "muted" },
        h("code", {}, run.id),
        ` · started ${formatTime(run.startedAt)}`,
        run.duration !== null ? ` · ${formatDuration(run.duration)}` : "",
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
      section("Metrics (final, min, max)", keyValueTable(metricEntries)),
      section("Summary", keyValueTable(Object.entries(run.summary))),
    ),
    curveKeys.length ? section("Curves", curvesHolder) : null,
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

  const charts: Promise<unknown>[] = [];
  if (curveKeys.length) charts.push(drawSeries(curvesHolder, run.id, run.name, curveKeys));
  const systemKeys = [...new Set(systemSeries.map((one) => one.key))];
  if (systemKeys.length) charts.push(drawSeries(systemHolder, run.id, run.name, systemKeys, 260, 120));
  await Promise.all(charts);
}

async function drawSeries(holder: HTMLElement, runId: string, runName: string, keys: string[], width = 340, height = 180): Promise<void> {
  const responses = await Promise.all(keys.map((key) => apiGet<MetricSeriesResponse>(`/api/runs/${encodeURIComponent(runId)}/metrics/${encodeURIComponent(key)}`, { buckets: 500 })));
  const series: BucketSeries[] = responses.flatMap((response) => response.series.map((one) => ({ run: runName || runId.slice(-8), metric: response.key, split: one.split, buckets: one.buckets })));
  if (!holder.isConnected) return;
  await drawChart(holder, buildBucketPanelsSpec(series, { columns: 3, panelWidth: width, panelHeight: height }));
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
