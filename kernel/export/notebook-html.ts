// An executed notebook as one self-contained HTML page: code, Markdown, outputs, and every Vega-Lite chart drawn
// live by the inlined vega-embed, with the kernel's SVG shown until then (and kept where scripts do not run).
import { chartSvgOf } from "../display.js";
import { escapeHtml, renderMarkdown } from "./markdown.js";

type MultilineText = string | string[];

export interface NotebookOutput {
  output_type: string;
  name?: string;
  text?: MultilineText;
  data?: Record<string, unknown>;
  ename?: string;
  evalue?: string;
  traceback?: string[];
}

export interface NotebookCell {
  cell_type: string;
  source: MultilineText;
  outputs?: NotebookOutput[];
  execution_count?: number | null;
}

export interface NotebookDocument {
  cells: NotebookCell[];
  metadata?: Record<string, unknown>;
}

export interface NotebookHtmlOptions {
  title: string;
  /** The vega-embed bundle (sets window.vegaEmbed), inlined as is. */
  vegaEmbedScript: string;
  /** Renders a chart's SVG when the notebook holds none (e.g. a live-update output saved with `svg: false`). */
  renderSvg(spec: object): Promise<string>;
}

export interface NotebookHtml {
  html: string;
  charts: number;
  /** Charts whose SVG fallback could not be made (they still draw live). */
  chartsWithoutSvg: string[];
}

const VEGA_LITE = /^application\/vnd\.vegalite\.v\d+\+json$/;
const WIDGET_VIEW = "application/vnd.jupyter.widget-view+json";
const ANSI = /\u001b\[[0-9;]*[A-Za-z]/g;

const text = (value: unknown): string => (Array.isArray(value) ? value.join("") : typeof value === "string" ? value : "");

/** JSON that is safe inside a <script> element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

const STYLE = `
body { font: 14px/1.5 system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; }
.cell { margin: 1em 0; }
.input { display: flex; gap: .5em; }
.prompt { color: #888; font: 12px monospace; min-width: 5em; text-align: right; padding-top: .5em; }
.input pre { flex: 1; background: #f6f7f9; border: 1px solid #e3e5e8; border-radius: 4px; padding: .5em; margin: 0; overflow-x: auto; }
.outputs { margin-left: 5.5em; }
.output { margin: .4em 0; overflow-x: auto; }
.output pre { margin: 0; white-space: pre-wrap; }
.stderr { background: #fff4f4; }
.error pre { color: #a00; }
.chart.live > .chart-fallback { display: none; }
.chart-error { color: #a00; font-size: 12px; }
table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 2px 6px; }
@media print { .chart.live > .chart-fallback { display: block; } .chart.live > .chart-live { display: none; } }
`;

// Draws each chart with vega-embed; a chart shows its SVG fallback until (and unless) that succeeds.
const DRAW_CHARTS = `
(function () {
  var charts = document.querySelectorAll("[data-chart-spec]");
  var pending = charts.length;
  function done() { if (--pending <= 0) document.documentElement.setAttribute("data-charts-drawn", "1"); }
  if (!pending || typeof window.vegaEmbed !== "function") { document.documentElement.setAttribute("data-charts-drawn", "0"); return; }
  charts.forEach(function (chart) {
    var spec = JSON.parse(document.getElementById(chart.getAttribute("data-chart-spec")).textContent);
    var target = chart.querySelector(".chart-live");
    window.vegaEmbed(target, spec, { renderer: "svg", actions: { export: true, source: false, compiled: false, editor: false } })
      .then(function () { chart.classList.add("live"); })
      .catch(function (error) { target.textContent = ""; var note = document.createElement("div"); note.className = "chart-error"; note.textContent = "Interactive chart failed (" + error.message + "); showing the static rendering."; target.appendChild(note); })
      .then(done, done);
  });
})();
`;

interface RenderState {
  charts: number;
  chartsWithoutSvg: string[];
  renderSvg: NotebookHtmlOptions["renderSvg"];
}

async function chartHtml(data: Record<string, unknown>, mime: string, where: string, state: RenderState): Promise<string> {
  const spec = data[mime] as object;
  const id = `chart-spec-${state.charts++}`;
  // The kernel's SVG: image/svg+xml, or inside text/markdown where the bundle carries a PNG instead (kernel/display.ts).
  let svg = chartSvgOf(data) ?? "";
  if (!svg.includes("<svg")) {
    try {
      svg = await state.renderSvg(spec);
    } catch (error) {
      state.chartsWithoutSvg.push(`${where}: ${(error as Error).message}`);
      svg = `<pre>${escapeHtml(text(data["text/plain"]))}</pre>`;
    }
  }
  return [
    `<div class="output chart" data-chart-spec="${id}">`,
    `<div class="chart-live"></div>`,
    `<div class="chart-fallback">${svg}</div>`,
    `<script type="application/json" id="${id}">${scriptJson(spec)}</script>`,
    "</div>",
  ].join("");
}

async function richOutputHtml(data: Record<string, unknown>, where: string, state: RenderState): Promise<string> {
  const vegaLite = Object.keys(data).find((mime) => VEGA_LITE.test(mime));
  if (vegaLite) return chartHtml(data, vegaLite, where, state);
  if (data["text/html"] !== undefined) return `<div class="output html">${text(data["text/html"])}</div>`;
  if (data["text/markdown"] !== undefined) return `<div class="output markdown">${renderMarkdown(text(data["text/markdown"]))}</div>`;
  if (data["image/svg+xml"] !== undefined) return `<div class="output svg">${text(data["image/svg+xml"])}</div>`;
  for (const mime of ["image/png", "image/jpeg", "image/gif"]) {
    if (data[mime] !== undefined) return `<div class="output image"><img src="data:${mime};base64,${text(data[mime]).replace(/\s/g, "")}"></div>`;
  }
  // A magic's result carries both: its text is what a reader wants; its JSON is for scripts.
  if (data["text/plain"] !== undefined && !(WIDGET_VIEW in data && Object.keys(data).length <= 2)) {
    return `<div class="output text"><pre>${escapeHtml(text(data["text/plain"]))}</pre></div>`;
  }
  if (data["application/json"] !== undefined) return `<div class="output json"><pre>${escapeHtml(JSON.stringify(data["application/json"], null, 2))}</pre></div>`;
  return "";
}

async function outputHtml(output: NotebookOutput, where: string, state: RenderState): Promise<string> {
  switch (output.output_type) {
    case "stream":
      return `<div class="output ${output.name === "stderr" ? "stderr" : "stdout"}"><pre>${escapeHtml(text(output.text).replace(ANSI, ""))}</pre></div>`;
    case "error": {
      const trace = (output.traceback ?? []).join("\n").replace(ANSI, "") || `${output.ename ?? "Error"}: ${output.evalue ?? ""}`;
      return `<div class="output error"><pre>${escapeHtml(trace)}</pre></div>`;
    }
    case "display_data":
    case "execute_result":
      return richOutputHtml(output.data ?? {}, where, state);
    default:
      return "";
  }
}

async function cellHtml(cell: NotebookCell, index: number, state: RenderState): Promise<string> {
  if (cell.cell_type === "markdown") return `<div class="cell markdown">${renderMarkdown(text(cell.source))}</div>`;
  if (cell.cell_type === "raw") return `<div class="cell raw"><pre>${escapeHtml(text(cell.source))}</pre></div>`;
  const outputs: string[] = [];
  for (const output of cell.outputs ?? []) outputs.push(await outputHtml(output, `cell ${index}`, state));
  const prompt = cell.execution_count == null ? "[ ]" : `[${cell.execution_count}]`;
  return [
    '<div class="cell code">',
    `<div class="input"><div class="prompt">In ${prompt}:</div><pre><code>${escapeHtml(text(cell.source))}</code></pre></div>`,
    `<div class="outputs">${outputs.join("\n")}</div>`,
    "</div>",
  ].join("\n");
}

export async function notebookToHtml(notebook: NotebookDocument, options: NotebookHtmlOptions): Promise<NotebookHtml> {
  const state: RenderState = { charts: 0, chartsWithoutSvg: [], renderSvg: options.renderSvg };
  const cells: string[] = [];
  for (const [index, cell] of notebook.cells.entries()) cells.push(await cellHtml(cell, index, state));
  const scripts = state.charts > 0 ? `<script>${options.vegaEmbedScript.replace(/<\/script/gi, "<\\/script")}</script>\n<script>${DRAW_CHARTS}</script>` : "";
  const html = [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="generator" content="labnote export"><title>${escapeHtml(options.title)}</title>`,
    `<style>${STYLE}</style></head>`,
    "<body>",
    cells.join("\n"),
    scripts,
    "</body></html>",
  ].join("\n");
  return { html, charts: state.charts, chartsWithoutSvg: state.chartsWithoutSvg };
}
