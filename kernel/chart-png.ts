// The chart's SVG as a PNG, for the places an SVG cannot go: nbconvert's LaTeX/PDF export (which converts SVG with
// Inkscape, and stops without it) and viewers that sanitise Markdown (lxml's cleaner, used by
// `nbconvert --sanitize-html`, drops data:image/svg+xml URLs but keeps PNG ones).
//
// resvg (@resvg/resvg-js: Rust, prebuilt napi binaries from the npm registry) draws the SVG on the libuv thread pool,
// so the kernel's event loop is not blocked while a chart is rasterised. Text is set in Arimo (metric-compatible
// with Arial/Helvetica, the fonts Vega's layout assumes), loaded from @expo-google-fonts/arimo rather than from the
// system: every machine draws the same glyphs, a machine without fonts (a slim container) still gets readable axes,
// and no font directory is scanned for an ordinary chart. Vega's generic `sans-serif`, `serif` and any family not
// shipped fall back to it. Only a chart whose text goes beyond Arimo's scripts (CJK, symbols such as ⚠) makes resvg
// load the system's fonts too, for glyphs to fall back on; where the system has none that can, such glyphs are drawn
// as empty boxes in the PNG (the SVG and the interactive chart keep them).
import { createRequire } from "node:module";

/**
 * Device pixels per CSS pixel of the PNG. 1 by default: every final chart carries its PNG twice (image/png and the
 * <picture>'s fallback), and at 2 the executed quickstart's charts grew to 3.4 MB instead of 1.8 MB (docs/watching.md).
 * A 680-pixel chart at 1x prints at about 115 dpi across LaTeX's 0.9 of the line width; set
 * LABNOTE_CHART_PNG_SCALE=2 for sharper PDFs, or 0 for no PNG at all (image/svg+xml as before: LaTeX then needs Inkscape).
 */
export const PNG_SCALE = 1;

/** The PNG scale this kernel uses: LABNOTE_CHART_PNG_SCALE (0 to 4; 0 turns PNGs off), else PNG_SCALE. */
export function chartPngScale(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.LABNOTE_CHART_PNG_SCALE ?? "");
  if (env.LABNOTE_CHART_PNG_SCALE === undefined || env.LABNOTE_CHART_PNG_SCALE.trim() === "" || !Number.isFinite(value) || value < 0 || value > 4) return PNG_SCALE;
  return value;
}

export interface ChartPng {
  /** The PNG file. */
  png: Buffer;
  /** The chart's size in CSS pixels (the PNG has `scale` times as many pixels each way). */
  width: number;
  height: number;
}

type ResvgModule = typeof import("@resvg/resvg-js");

let loaded: Promise<{ resvg: ResvgModule; fontFiles: string[] }> | undefined;

function load(): NonNullable<typeof loaded> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const fontFiles = ["400Regular/Arimo_400Regular.ttf", "700Bold/Arimo_700Bold.ttf", "400Regular_Italic/Arimo_400Regular_Italic.ttf"]
      .map((file) => require.resolve(`@expo-google-fonts/arimo/${file}`));
    // A CommonJS module: its exports are the namespace's default (and, where Node's lexer finds them, named exports).
    const module = (await import("@resvg/resvg-js")) as Partial<ResvgModule> & { default?: ResvgModule };
    const resvg = typeof module.renderAsync === "function" ? (module as ResvgModule) : module.default!;
    return { resvg, fontFiles };
  })();
  // A platform without a prebuilt resvg binary: the next call tries again (and fails the same way, quickly).
  loaded.catch(() => { loaded = undefined; });
  return loaded;
}

/** Characters outside the scripts Arimo covers (Latin, Greek, Cyrillic, Hebrew, common punctuation and symbols). */
const BEYOND_ARIMO = /[^\u0000-\u058F\u2000-\u20CF\u2100-\u215F\u2190-\u2199\u2200-\u22FF\uFB1D-\uFB4F]/u;

/** The text content of an SVG's <text> elements (Vega writes labels there), entities left as they are. */
function svgText(svg: string): string {
  let text = "";
  for (const match of svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)) text += match[1];
  return text;
}

/** Rasterises an SVG (a Vega chart) on a white background. Throws when resvg cannot be loaded here. */
export async function svgToPng(svg: string, scale = chartPngScale()): Promise<ChartPng> {
  const { resvg, fontFiles } = await load();
  const image = await resvg.renderAsync(svg, {
    fitTo: { mode: "zoom", value: scale },
    background: "white",
    font: {
      // Text Arimo cannot set (CJK, symbols): let resvg fall back to the system's fonts, if it has any that can.
      loadSystemFonts: BEYOND_ARIMO.test(svgText(svg)),
      fontFiles,
      defaultFontFamily: "Arimo",
      sansSerifFamily: "Arimo",
      serifFamily: "Arimo",
      monospaceFamily: "Arimo",
      cursiveFamily: "Arimo",
      fantasyFamily: "Arimo",
    },
    logLevel: "off",
  });
  return { png: image.asPng(), width: Math.round(image.width / scale), height: Math.round(image.height / scale) };
}
