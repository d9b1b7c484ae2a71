// The display API every cell sees (`display`, `display.handle()`, `clearOutput`) and magics use through
// MagicContext.display. Outputs go to the sink of the cell whose code calls them (see engine/cell-scope.ts).
import { randomUUID } from "node:crypto";
import { inspect } from "node:util";
import type { Display, DisplayHandle } from "../magics/types.js";
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
 */
export function svgAsMarkdownImage(svg: string, title: string): string {
  const alt = title.replace(/[<>&"]/g, " ");
  return `<img src="data:image/svg+xml;base64,${Buffer.from(svg, "utf8").toString("base64")}" alt="${alt}">`;
}

export async function vegaLiteBundle(spec: object, options?: { svg?: boolean }): Promise<MimeBundle> {
  const specTitle = typeof (spec as { title?: unknown }).title === "string" ? (spec as { title: string }).title : undefined;
  const title = specTitle === undefined ? "" : ` “${specTitle}”`;
  const bundle: MimeBundle = { [VEGA_LITE_MIME]: jsonSafe(spec), "text/plain": `<Vega-Lite chart${title}>` };
  if (options?.svg !== false) {
    try {
      const svg = await renderVegaLiteSvg(spec);
      bundle["image/svg+xml"] = svg;
      bundle["text/markdown"] = svgAsMarkdownImage(svg, specTitle ?? "Vega-Lite chart");
    } catch (error) {
      bundle["text/plain"] += `\n(SVG rendering failed: ${(error as Error).message}; check the spec with the Vega-Lite editor)`;
    }
  }
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
