// `labnote export NOTEBOOK [--out FILE]`: an executed notebook as one self-contained HTML file (see notebook-html.ts).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { renderSvg } from "../../widgets/charts/render.js";
import type { VegaLiteSpec } from "../../widgets/charts/metric-panels.js";
import { notebookToHtml, type NotebookDocument } from "./notebook-html.js";

export const EXPORT_USAGE = `labnote export NOTEBOOK [--out FILE]
  Writes the executed notebook as one self-contained HTML file (default: NOTEBOOK with .html): code, Markdown,
  outputs, and every chart interactive (vega-embed inlined, no network) with the kernel's SVG as fallback.`;

export class ExportUsageError extends Error {}

export interface ExportOptions {
  notebook: string;
  out: string;
}

export function parseExportArgs(args: string[]): ExportOptions {
  let notebook: string | undefined;
  let out: string | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg === "--out" || arg === "-o") {
      out = args[++index];
      if (!out) throw new ExportUsageError(`${arg} needs a file name.`);
    } else if (arg.startsWith("--out=")) out = arg.slice("--out=".length);
    else if (arg.startsWith("-")) throw new ExportUsageError(`Unknown option "${arg}".`);
    else if (notebook === undefined) notebook = arg;
    else throw new ExportUsageError(`One notebook at a time ("${notebook}" and "${arg}" given).`);
  }
  if (!notebook) throw new ExportUsageError("Which notebook? labnote export NOTEBOOK.ipynb");
  return { notebook, out: out ?? join(dirname(notebook), `${basename(notebook, extname(notebook))}.html`) };
}

/** dist/export/vega-embed.js, built by scripts/build-export.mjs (npm run build). */
function vegaEmbedBundle(): string {
  const path = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "export", "vega-embed.js");
  if (!existsSync(path)) throw new Error(`the vega-embed bundle ${path} is missing: run npm run build (it runs scripts/build-export.mjs)`);
  return readFileSync(path, "utf8");
}

export async function exportNotebook(options: ExportOptions): Promise<{ out: string; charts: number; chartsWithoutSvg: string[]; bytes: number }> {
  let notebook: NotebookDocument;
  try {
    notebook = JSON.parse(readFileSync(options.notebook, "utf8")) as NotebookDocument;
  } catch (error) {
    throw new ExportUsageError(`cannot read ${options.notebook} as a notebook: ${(error as Error).message}`);
  }
  if (!Array.isArray(notebook.cells)) throw new ExportUsageError(`${options.notebook} is not a Jupyter notebook (no cells); nbformat 4 is expected.`);
  const result = await notebookToHtml(notebook, {
    title: basename(options.notebook, extname(options.notebook)),
    vegaEmbedScript: vegaEmbedBundle(),
    renderSvg: (spec) => renderSvg(spec as VegaLiteSpec),
  });
  writeFileSync(options.out, result.html);
  return { out: options.out, charts: result.charts, chartsWithoutSvg: result.chartsWithoutSvg, bytes: Buffer.byteLength(result.html) };
}

export async function runExportCommand(args: string[]): Promise<number> {
  if (args.includes("--help") || args.includes("-h")) {
    console.log(`Usage: ${EXPORT_USAGE}`);
    return 0;
  }
  const result = await exportNotebook(parseExportArgs(args));
  for (const problem of result.chartsWithoutSvg) console.error(`labnote export: no SVG fallback for ${problem}`);
  console.log(`${result.out} (${result.charts} charts, ${(result.bytes / 1024).toFixed(0)} KB)`);
  return 0;
}
