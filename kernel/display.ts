// The display API every cell sees (`display`, `display.handle()`, `clearOutput`) and magics use through
// MagicContext.display. Outputs go to the sink of the cell whose code calls them (see engine/cell-scope.ts).
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import type { Display, DisplayHandle } from "../magics/types.js";
import { type ChartPng, chartPngScale, svgToPng } from "./chart-png.js";
import type { JSONObject, MimeBundle, OutputSink } from "./types.js";

export const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";

/** Objects may describe their own rich display, like IPython's _repr_mimebundle_. */
export const MIME_BUNDLE = Symbol.for("labnote.mimeBundle");

function toBase64(data: Uint8Array | string): string {
  return typeof data === "string" ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("base64");
}

function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value ?? null, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)));
}

/** The execute_result / display_data bundle for an arbitrary value. */
export function bundleForValue(value: unknown): MimeBundle {
  if (value !== null && typeof value === "object" && MIME_BUNDLE in value) {
    const describe = (value as { [MIME_BUNDLE]: unknown })[MIME_BUNDLE];
    if (typeof describe === "function") {
      const bundle = (describe as () => MimeBundle).call(value);
      return { "text/plain": inspect(value), ...bundle };
    }
  }
  return { "text/plain": inspect(value, { depth: 4, maxArrayLength: 100, breakLength: 100 }) };
}

let vegaModules: Promise<{ compile: (spec: object) => { spec: object }; View: new (runtime: unknown, options: object) => { toSVG(): Promise<string>; finalize(): void }; parse: (spec: object) => unknown }> | undefined;

function loadVega(): NonNullable<typeof vegaModules> {
  vegaModules ??= (async () => {
    const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
    return { compile: vegaLite.compile as never, View: vega.View as never, parse: vega.parse as never };
  })();
  return vegaModules;
}

/** Renders a Vega-Lite spec to SVG in the kernel (vega and vega-lite are loaded on first use, then cached). */
export async function renderVegaLiteSvg(spec: object): Promise<string> {
  const { compile, View, parse } = await loadVega();
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * The chart as a Markdown image of its SVG (a data: URL): what exporters that sanitise inline SVG show. nbconvert's
 * HTML exporter (6.5 and 7.x) ranks text/markdown above image/svg+xml, and its SVG sanitizer keeps no element inside
 * <svg> (nbconvert #1849, #1894), while JupyterLab (Vega-Lite rank 57 < Markdown 60) and VS Code (an unlisted
 * mimetype sorts first) still pick the interactive Vega-Lite; Notebook 6, which has no Vega-Lite renderer, shows the image.
 * (The form used when no PNG could be made; see chartAsMarkdownPicture.)
 */
export function svgAsMarkdownImage(svg: string, title: string): string {
  return `<img src="data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}" alt="${altText(title)}">`;
}

function altText(title: string): string {
  return title.replace(/[<>&"]/g, " ");
}

/**
 * The chart as a <picture>: the SVG as its source, the PNG as its <img>. A browser draws the SVG (nbconvert --to html,
 * Notebook 6); a sanitiser that drops data:image/svg+xml URLs — lxml's cleaner behind `nbconvert --sanitize-html`,
 * which also removes <picture>, <source> and srcset — leaves the <img> with the PNG, so the chart is still there.
 * nbconvert 7.x's `--sanitize-html` (bleach, no <p> or <img> allowed) escapes any Markdown output into text, this one
 * too; no Markdown could survive it (docs/readme-parts/nbconvert7.md, scripts/check-nbconvert7.ts).
 */
export function chartAsMarkdownPicture(svg: string, png: ChartPng, title: string): string {
  const svgUrl = `data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}`;
  const pngUrl = `data:image/png;base64,${png.png.toString("base64")}`;
  return `<picture><source srcset="${svgUrl}" type="image/svg+xml"><img src="${pngUrl}" width="${png.width}" height="${png.height}" alt="${altText(title)}"></picture>`;
}

/** The chart's SVG in a bundle: its image/svg+xml, or the SVG inside its text/markdown (as chartAsMarkdownPicture and svgAsMarkdownImage write it). */
export function chartSvgOf(data: Record<string, unknown>): string | undefined {
  const svg = data["image/svg+xml"];
  const text = (value: unknown): string => (Array.isArray(value) ? value.join("") : typeof value === "string" ? value : "");
  if (text(svg).includes("<svg")) return text(svg);
  const url = /(?:srcset|src)="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/.exec(text(data["text/markdown"]));
  if (!url) return undefined;
  const decoded = Buffer.from(url[1]!, "base64").toString("utf8");
  return decoded.includes("<svg") ? decoded : undefined;
}

export interface VegaLiteBundleOptions {
  /** Static renderings for exporters and viewers without Vega-Lite (default true); false for live updates of a chart. */
  svg?: boolean;
  /** With svg: add image/png and keep the SVG only inside text/markdown (default true, unless LABNOTE_CHART_PNG_SCALE=0); false: image/svg+xml, no PNG. */
  png?: boolean;
}

/**
 * A chart's output bundle. Live updates (`svg: false`): the Vega-Lite spec and text/plain only. Otherwise also
 * `text/markdown` (a <picture> of the SVG with the PNG as its <img>) and `image/png` — not `image/svg+xml`: nbconvert's
 * LaTeX/PDF export converts every output that has one with Inkscape and stops where Inkscape is missing, even when a PNG
 * is there; the frontends and exporters that picked the bare SVG now take the Markdown or the PNG (docs/watching.md
 * has the table).
 * Where the PNG cannot be made (no resvg binary for this platform) the bundle holds image/svg+xml and an <img> of it.
 */
export async function vegaLiteBundle(spec: object, options?: VegaLiteBundleOptions): Promise<MimeBundle> {
  const specTitle = typeof (spec as { title?: unknown }).title === "string" ? (spec as { title: string }).title : undefined;
  const title = specTitle === undefined ? "" : ` “${specTitle}”`;
  const bundle: MimeBundle = { [VEGA_LITE_MIME]: jsonSafe(spec), "text/plain": `<Vega-Lite chart${title}>` };
  if (options?.svg === false) return bundle;
  let svg: string;
  try {
    svg = await renderVegaLiteSvg(spec);
  } catch (error) {
    bundle["text/plain"] += `\n(SVG rendering failed: ${(error as Error).message}; check the spec with the Vega-Lite editor)`;
    return bundle;
  }
  const scale = chartPngScale();
  if (options?.png !== false && scale > 0) {
    try {
      const png = await svgToPng(svg, scale);
      bundle["text/markdown"] = chartAsMarkdownPicture(svg, png, specTitle ?? "Vega-Lite chart");
      bundle["image/png"] = png.png.toString("base64");
      return bundle;
    } catch {
      // No rasteriser on this platform: the SVG-only bundle below (LaTeX export then needs Inkscape).
    }
  }
  bundle["image/svg+xml"] = svg;
  bundle["text/markdown"] = svgAsMarkdownImage(svg, specTitle ?? "Vega-Lite chart");
  return bundle;
}

type SinkProvider = () => OutputSink | undefined;

function send(getSink: SinkProvider, data: MimeBundle, metadata?: JSONObject, transient?: { display_id?: string }): void {
  const sink = getSink();
  if (!sink) throw new Error("display: no cell is running to show this output in; call display from a cell");
  sink.displayData(data, metadata ?? {}, transient);
}

export function createDisplayHandle(getSink: SinkProvider, displayId: string = randomUUID()): DisplayHandle {
  let shown = false;
  // The sink of the cell that first showed the handle: later updates come from other cells or timers.
  let ownerSink: OutputSink | undefined;
  const bundle = (data: MimeBundle, metadata?: JSONObject): void => {
    if (!shown) {
      ownerSink = getSink();
      send(() => ownerSink, data, metadata, { display_id: displayId });
      shown = true;
      return;
    }
    const sink = getSink() ?? ownerSink;
    sink?.updateDisplayData(data, metadata ?? {}, { display_id: displayId });
  };
  return {
    displayId,
    bundle,
    html: (html) => bundle({ "text/html": html, "text/plain": html.replace(/<[^>]*>/g, "") }),
    markdown: (md) => bundle({ "text/markdown": md, "text/plain": md }),
    text: (text) => bundle({ "text/plain": text }),
    json: (value) => bundle({ "application/json": jsonSafe(value), "text/plain": JSON.stringify(value, null, 2) ?? "undefined" }),
    svg: (svg) => bundle({ "image/svg+xml": svg, "text/plain": "<SVG image>" }),
    vegaLite: async (spec, options) => bundle(await vegaLiteBundle(spec, options)),
  };
}

export function createDisplay(getSink: SinkProvider): Display {
  const show = (data: MimeBundle, metadata?: JSONObject): void => send(getSink, data, metadata);
  const display = ((value: unknown) => show(bundleForValue(value))) as Display;
  display.bundle = (data, metadata) => show(data, metadata);
  display.html = (html) => show({ "text/html": html, "text/plain": html.replace(/<[^>]*>/g, "") });
  display.markdown = (md) => show({ "text/markdown": md, "text/plain": md });
  display.svg = (svg) => show({ "image/svg+xml": svg, "text/plain": "<SVG image>" });
  display.png = (data) => show({ "image/png": toBase64(data), "text/plain": "<PNG image>" });
  display.jpeg = (data) => show({ "image/jpeg": toBase64(data), "text/plain": "<JPEG image>" });
  display.json = (value) => show({ "application/json": jsonSafe(value), "text/plain": JSON.stringify(value, null, 2) ?? "undefined" });
  display.text = (text) => show({ "text/plain": text });
  display.raw = (mime, data) => show(mime === "text/plain" ? { "text/plain": data } : { [mime]: data, "text/plain": `<${mime}>` });
  display.vegaLite = async (spec, options) => show(await vegaLiteBundle(spec, options));
  display.handle = () => createDisplayHandle(getSink);
  return display;
}

export function clearOutput(getSink: SinkProvider, wait = false): void {
  getSink()?.clearOutput(wait);
}
