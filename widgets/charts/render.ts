// The edge where a Vega-Lite spec becomes an SVG string (reports, nbconvert fallbacks). Loads vega lazily.
import type { VegaLiteSpec } from "./metric-panels.js";

/** Renders a Vega-Lite spec to SVG headlessly (no canvas or browser needed). */
export async function renderSvg(spec: VegaLiteSpec): Promise<string> {
  const [vega, vegaLite] = await Promise.all([import("vega"), import("vega-lite")]);
  const compiled = vegaLite.compile(spec as unknown as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
