// /curves?runs=A,B&metrics=&x=step|relative|wall|metric:NAME&smooth=0.6&log=1&outliers=1 — overlaid bucketed curves
// of the selected runs, one panel per metric (widgets/charts' buildBucketPanelsSpec), live through /api/live.
// x=metric:train.loss plots each metric against another metric's value at the same step (its run's own series).
import type { LiveEvent, MetricSeriesResponse, RunDetailResponse } from "../../api.js";
import { buildBucketPanelsSpec, appendPointsToBuckets, type BucketSeries, type CurveBucket, type CurveXAxis } from "../../../widgets/charts/bucket-panels.js";
import { apiEvents, apiGet } from "../api-client.js";
import { drawChart } from "../charts.js";
import { clear, h } from "../dom.js";
import { beginLoad, recordDrawMs } from "../ready.js";
import type { ViewContext } from "../router.js";

const MIN_BUCKETS = 100;
const MAX_BUCKETS = 2000;
const DEFAULT_MAX_BUCKETS = 1000;
const BUCKET_BUDGET = 12_000;
const REDRAW_INTERVAL_MS = 200;

interface LoadedSeries extends BucketSeries {
  runId: string;
}

/** Legend labels: the run's name, with the end of its id when two selected runs share a name (ids share a time-ordered prefix). */
function runLabels(runs: RunDetailResponse["run"][]): Map<string, string> {
  const counts = new Map<string, number>();
  for (const run of runs) counts.set(run.name, (counts.get(run.name) ?? 0) + 1);
  return new Map(runs.map((run) => [run.id, (counts.get(run.name) ?? 0) > 1 || !run.name ? `${run.name || "run"} …${run.id.slice(-6)}` : run.name]));
}

function validX(value: string | null): string {
  if (value === "relative" || value === "wall") return value;
  return value?.startsWith("metric:") && value.length > "metric:".length ? value : "step";
}

export async function curvesView(context: ViewContext): Promise<void> {
  const { root, params } = context;
  const runIds = (params.get("runs") ?? "").split(",").filter(Boolean);
  if (runIds.length === 0) {
    root.append(h("p", { class: "empty" }, "No runs chosen: select runs in the ", h("a", { href: "/runs" }, "runs table"), " and press Chart."));
    return;
  }
  // Server buckets per series: one per horizontal pixel of a panel, at most 1,000, and at most BUCKET_BUDGET over all
  // the series drawn (Vega's drawing time grows with the buckets on screen; min/max keep spikes at any count), unless
  // the URL asks for a number (buckets=2000).
  const requestedBuckets = Number(params.get("buckets"));
  const settings = {
    metrics: (params.get("metrics") ?? "").split(",").filter(Boolean),
    /** "step", "relative", "wall" or "metric:NAME" (NAME as the runs table names metrics: "train.loss", "acc"). */
    x: validX(params.get("x")),
    smooth: Math.min(0.99, Math.max(0, Number(params.get("smooth") ?? 0) || 0)),
    log: params.get("log") === "1",
    outliers: params.get("outliers") === "1",
    system: params.get("system") === "1",
  };

  const details = await Promise.all(runIds.map((id) => apiGet<RunDetailResponse>(`/api/runs/${encodeURIComponent(id)}`)));
  if (context.left()) return;
  const labels = runLabels(details.map((detail) => detail.run));
  const allKeys = [...new Set(details.flatMap((detail) => detail.series.filter((one) => settings.system || !one.system).map((one) => one.key)))];
  const keys = settings.metrics.length ? settings.metrics.filter((key) => allKeys.includes(key) || details.some((detail) => detail.series.some((one) => one.key === key))) : allKeys;
  // Every metric a run logged, by the runs table's name ("train.loss"), for the x-axis choice.
  const metricNames = new Map<string, { key: string; split: string }>();
  for (const detail of details) for (const one of detail.series) if (settings.system || !one.system) metricNames.set(one.split ? `${one.split}.${one.key}` : one.key, { key: one.key, split: one.split });
  /** The metric on the x axis: a name of metricNames, or a bare key (then each series pairs with its own split of it). */
  const xMetricOf = (x: string): { name: string; key: string; split: string | null } | null => {
    if (!x.startsWith("metric:")) return null;
    const name = x.slice("metric:".length);
    const named = metricNames.get(name);
    if (named) return { name, ...named };
    return details.some((detail) => detail.series.some((one) => one.key === name)) ? { name, key: name, split: null } : null;
  };
  const fetchedKeys = new Set(keys);
  const xAtLoad = xMetricOf(settings.x);
  if (settings.x.startsWith("metric:") && !xAtLoad) settings.x = "step"; // a metric these runs did not log
  if (xAtLoad) fetchedKeys.add(xAtLoad.key);

  const controls = h("div", { class: "toolbar curves-controls" });
  const chartHolder = h("div", { class: "chart curves-chart", "aria-label": "curves" });
  const liveStatus = h("span", { class: "live muted" });
  root.append(
    h("h1", {}, "Curves ", h("span", { class: "muted" }, `${runIds.length} run${runIds.length > 1 ? "s" : ""}`)),
    h("p", { class: "run-chips" }, details.map((detail) => h("a", { class: `chip status-${detail.run.status}`, href: `/run/${encodeURIComponent(detail.run.id)}` }, labels.get(detail.run.id)!, " ", h("small", {}, detail.run.status)))),
    controls,
    chartHolder,
    h("p", { class: "muted small" }, "Each line is a run's last value per bucket; the shaded band is the bucket's min..max, so spikes stay visible however many points were logged. ", liveStatus),
  );

  // Series by "runId\u0000key\u0000split".
  const series = new Map<string, LoadedSeries>();
  const seriesKey = (runId: string, key: string, split: string): string => `${runId}\u0000${key}\u0000${split}`;
  const startedAt = new Map(details.map((detail) => [detail.run.id, detail.run.startedAt]));

  const seriesCount = details.reduce((count, detail) => count + detail.series.filter((one) => fetchedKeys.has(one.key)).length, 0);
  const bucketCount =
    Number.isInteger(requestedBuckets) && requestedBuckets > 0
      ? Math.min(requestedBuckets, MAX_BUCKETS)
      : Math.max(MIN_BUCKETS, Math.min(DEFAULT_MAX_BUCKETS, panelWidthFor(keys.length), Math.floor(BUCKET_BUDGET / Math.max(1, seriesCount))));
  const responses = await Promise.all(
    details.flatMap((detail) =>
      [...fetchedKeys]
        .filter((key) => detail.series.some((one) => one.key === key))
        .map((key) => apiGet<MetricSeriesResponse>(`/api/runs/${encodeURIComponent(detail.run.id)}/metrics/${encodeURIComponent(key)}`, { buckets: bucketCount })),
    ),
  );
  if (context.left()) return;
  for (const response of responses) {
    for (const one of response.series) {
      series.set(seriesKey(response.runId, response.key, one.split), {
        runId: response.runId,
        run: labels.get(response.runId) ?? response.runId,
        metric: response.key,
        split: one.split,
        buckets: one.buckets,
        startedAt: startedAt.get(response.runId),
      });
    }
  }
  const dataArrivedAt = performance.now();

  let drawing = false;
  renderControls();
  await redraw(dataArrivedAt);
  subscribeLive();

  function update(change: Partial<typeof settings>): void {
    Object.assign(settings, change);
    context.setParams({
      metrics: settings.metrics.length ? settings.metrics.join(",") : null,
      x: settings.x === "step" ? null : settings.x,
      smooth: settings.smooth ? String(settings.smooth) : null,
      log: settings.log ? "1" : null,
      outliers: settings.outliers ? "1" : null,
    });
    renderControls();
    void redraw(performance.now());
  }

  function renderControls(): void {
    clear(controls);
    const shown = settings.metrics.length ? settings.metrics : allKeys;
    controls.append(
      h(
        "fieldset",
        { class: "metric-picks" },
        h("legend", {}, "metrics"),
        allKeys.map((key) =>
          h(
            "label",
            {},
            h("input", {
              type: "checkbox",
              name: `metric:${key}`,
              checked: shown.includes(key),
              onchange: (event) => {
                const on = (event.target as HTMLInputElement).checked;
                const next = on ? [...shown, key] : shown.filter((one) => one !== key);
                update({ metrics: next.length === allKeys.length ? [] : next });
                if (on && !keys.includes(key)) context.navigate(location.pathname + location.search); // fetch the newly chosen metric
              },
            }),
            key,
          ),
        ),
      ),
      h(
        "label",
        {},
        "x ",
        h(
          "select",
          {
            name: "x",
            onchange: (event) => {
              const x = (event.target as HTMLSelectElement).value;
              const metric = xMetricOf(x);
              if (metric && !fetchedKeys.has(metric.key)) {
                context.setParams({ x });
                context.navigate(location.pathname + location.search); // the x metric's series to fetch
                return;
              }
              update({ x });
            },
          },
          (["step", "relative", "wall"] as const).map((axis) => h("option", { value: axis, selected: axis === settings.x }, axis === "relative" ? "relative time" : axis === "wall" ? "wall time" : "step")),
          h(
            "optgroup",
            { label: "another metric (same step)" },
            [...metricNames.keys()].sort().map((name) => h("option", { value: `metric:${name}`, selected: settings.x === `metric:${name}` }, `metric: ${name}`)),
          ),
        ),
      ),
      h(
        "label",
        {},
        "smoothing ",
        h("input", { type: "range", name: "smooth", min: 0, max: 0.99, step: 0.01, value: settings.smooth, onchange: (event) => update({ smooth: Number((event.target as HTMLInputElement).value) }) }),
        h("output", {}, settings.smooth.toFixed(2)),
      ),
      h("label", {}, h("input", { type: "checkbox", name: "log", checked: settings.log, onchange: (event) => update({ log: (event.target as HTMLInputElement).checked }) }), "log scale"),
      h(
        "label",
        { title: "CPU, memory, throughput: the metrics labnote records without being asked" },
        h("input", {
          type: "checkbox",
          name: "system",
          checked: settings.system,
          onchange: (event) => {
            context.setParams({ system: (event.target as HTMLInputElement).checked ? "1" : null });
            context.navigate(location.pathname + location.search); // other series to fetch
          },
        }),
        "system metrics",
      ),
      h("label", {}, h("input", { type: "checkbox", name: "outliers", checked: settings.outliers, onchange: (event) => update({ outliers: (event.target as HTMLInputElement).checked }) }), "ignore outliers"),
    );
  }

  function currentSpec(): object {
    const shown = settings.metrics.length ? settings.metrics : allKeys;
    let chosen: LoadedSeries[] = [...series.values()].filter((one) => shown.includes(one.metric));
    const xMetric = xMetricOf(settings.x);
    if (xMetric) {
      // Each series is paired by step with its own run's x metric (the named split, else the same split, else the first).
      const xSeriesOf = (one: LoadedSeries): LoadedSeries | undefined => {
        if (xMetric.split !== null) return series.get(seriesKey(one.runId, xMetric.key, xMetric.split));
        return series.get(seriesKey(one.runId, xMetric.key, one.split)) ?? [...series.values()].find((other) => other.runId === one.runId && other.metric === xMetric.key);
      };
      chosen = chosen.flatMap((one) => {
        const xSeries = xSeriesOf(one);
        return xSeries && xSeries !== one ? [{ ...one, xBuckets: xSeries.buckets }] : [];
      });
    }
    const axis: CurveXAxis = xMetric ? "metric" : (settings.x as CurveXAxis);
    return buildBucketPanelsSpec(chosen, { x: axis, xTitle: xMetric?.name, smoothing: settings.smooth, logScale: settings.log, ignoreOutliers: settings.outliers, columns: chosen.length > 0 && new Set(chosen.map((one) => one.metric)).size === 1 ? 1 : 2, panelWidth: panelWidth(chosen), panelHeight: 230 });
  }

  /** Two panels a row filling the chart box (one when a single metric is shown). */
  function panelWidth(chosen: LoadedSeries[]): number {
    return panelWidthFor(new Set(chosen.map((one) => one.metric)).size);
  }

  function panelWidthFor(metricCount: number): number {
    const available = Math.max(600, chartHolder.clientWidth - 40);
    return metricCount <= 1 ? Math.min(1100, available - 120) : Math.floor((available - 160) / 2);
  }

  /** Draws the current spec; `signalReady` marks the page loading meanwhile (view loads and control changes, not live points). */
  async function redraw(since: number, signalReady = true): Promise<void> {
    if (context.left()) return;
    const done = signalReady ? beginLoad() : () => undefined;
    drawing = true;
    try {
      await drawChart(chartHolder, currentSpec());
      recordDrawMs(performance.now() - since);
    } finally {
      drawing = false;
      done();
    }
  }

  function subscribeLive(): void {
    const anyRunning = details.some((detail) => detail.run.status === "running");
    const events = apiEvents("/api/live", { runs: runIds.join(",") });
    context.onLeave(() => events.close());
    let pendingSince: number | null = null;
    let timer = 0;
    const schedule = (): void => {
      if (timer) return;
      timer = window.setTimeout(async () => {
        timer = 0;
        if (drawing) return schedule();
        const since = pendingSince ?? performance.now();
        pendingSince = null;
        await redraw(since, false);
      }, REDRAW_INTERVAL_MS);
    };
    context.onLeave(() => window.clearTimeout(timer));
    events.onopen = () => {
      liveStatus.textContent = anyRunning ? "Live: new points appear as they are logged." : "These runs have ended; points logged to them would still appear.";
      liveStatus.classList.toggle("live-off", !anyRunning);
    };
    events.onerror = () => (liveStatus.textContent = "Live updates paused (reconnecting)…");
    events.onmessage = (message) => {
      const event = JSON.parse(String(message.data)) as LiveEvent;
      if (event.type !== "points") return;
      const shown = settings.metrics.length ? settings.metrics : allKeys;
      if (!allKeys.includes(event.key)) allKeys.push(event.key);
      const key = seriesKey(event.runId, event.key, event.split);
      const existing = series.get(key);
      const buckets: CurveBucket[] = appendPointsToBuckets(existing?.buckets ?? [], event.points, bucketCount);
      series.set(key, { runId: event.runId, run: labels.get(event.runId) ?? event.runId, metric: event.key, split: event.split, buckets, startedAt: startedAt.get(event.runId) });
      if (!shown.includes(event.key) && settings.metrics.length && xMetricOf(settings.x)?.key !== event.key) return;
      pendingSince ??= performance.now();
      schedule();
    };
  }
}
