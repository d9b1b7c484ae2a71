// A standalone HTML report of one run: charts as inline SVG, params, final metrics, environment, code, artifacts.
import type { ArtifactRecord, RunRecord } from "../../store/types.js";
import { buildRunChartSpec, type ChartSeries } from "../../widgets/charts/metric-panels.js";
import { renderSvg } from "../../widgets/charts/render.js";
import { flatten } from "./diff.js";
import { escapeHtml, htmlTable } from "./tables.js";

export async function renderRunReport(run: RunRecord, series: ChartSeries[], artifacts: ArtifactRecord[]): Promise<string> {
  const chart = series.length > 0 ? await renderSvg(buildRunChartSpec(series.filter((one) => one.split !== "weights" || one.key === "global"), { title: run.name })) : "<p>no metrics logged</p>";
  const section = (title: string, body: string): string => `<h2>${escapeHtml(title)}</h2>${body}`;
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>labnote run ${escapeHtml(run.name)}</title>
<style>body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:2px 8px;font-size:13px}pre{background:#f6f8fa;padding:1em;overflow:auto}</style>
</head><body>
<h1>run ${escapeHtml(run.name)}</h1>
<p>id <code>${escapeHtml(run.id)}</code> · ${escapeHtml(run.status)} · started ${new Date(run.startedAt).toISOString()}${run.endedAt ? ` · ${((run.endedAt - run.startedAt) / 1000).toFixed(1)} s` : ""}${run.tags.length ? ` · tags ${escapeHtml(run.tags.join(", "))}` : ""}</p>
${section("curves", chart)}
${section("params", htmlTable(["param", "value"], Object.entries(run.params)))}
${section("final metrics", htmlTable(["metric", "value"], Object.entries(run.summary)))}
${section("environment", htmlTable(["key", "value"], Object.entries(flatten(run.env))))}
${Object.keys(run.dataHashes ?? {}).length ? section("data", htmlTable(["path", "sha256"], Object.entries(run.dataHashes))) : ""}
${artifacts.length ? section("artifacts", htmlTable(["name", "size", "sha256"], artifacts.map((artifact) => [artifact.name, artifact.size, artifact.sha256]))) : ""}
${run.code ? section("code", `<pre>${escapeHtml(run.code)}</pre>`) : ""}
</body></html>
`;
}
