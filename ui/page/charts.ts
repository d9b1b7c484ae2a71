// The page's one rendering edge for Vega-Lite specs (built by widgets/charts or magics/tune/charts on the server or
// here): vega-embed into a container, SVG renderer, Vega theme following the system's dark mode. Every drawn chart
// is remembered with its spec so "Save as HTML" can inline it.
import embed, { type Result, type VisualizationSpec } from "vega-embed";

interface DrawnChart {
  spec: object;
  result: Result;
}

const drawn = new Map<HTMLElement, DrawnChart>();
let nextChartId = 1;

export function prefersDark(): boolean {
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ?? false;
}

/** Draws (or redraws) a spec into the container; resolves once the view has rendered. */
export async function drawChart(container: HTMLElement, spec: object): Promise<Result> {
  drawn.get(container)?.result.finalize();
  if (!container.dataset.chartId) container.dataset.chartId = String(nextChartId++);
  container.classList.add("chart");
  const result = await embed(container, spec as VisualizationSpec, {
    renderer: "svg",
    actions: { export: true, source: false, compiled: false, editor: false },
    theme: prefersDark() ? "dark" : undefined,
    config: { background: "transparent" },
  });
  drawn.set(container, { spec, result });
  return result;
}

/** Forgets charts whose containers left the page (navigation), freeing their views. */
export function pruneCharts(): void {
  for (const [container, chart] of drawn) {
    if (!container.isConnected) {
      chart.result.finalize();
      drawn.delete(container);
    }
  }
}

/** The specs of the charts now on the page, keyed by their container's data-chart-id. */
export function chartsOnPage(): Record<string, object> {
  const specs: Record<string, object> = {};
  for (const [container, chart] of drawn) if (container.isConnected && container.dataset.chartId) specs[container.dataset.chartId] = chart.spec;
  return specs;
}

/** For tests: the rows behind every chart on the page (vega's datasets are internal; the spec's are what was sent). */
export function chartData(): { id: string; spec: object }[] {
  return Object.entries(chartsOnPage()).map(([id, spec]) => ({ id, spec }));
}
