// Real-browser proof: Debian's Jupyter Notebook 6 serves a notebook, Debian's Chromium (playwright-core) runs it
// on the labnote kernel; the Vega-Lite chart's SVG and the progress bars must be visible. Screenshots are kept
// in test-artifacts/screenshots/. Debian's ipywidgets 6 frontend speaks widget protocol 1.0 and never opens
// `jupyter.widget.control`, so labnote shows its HTML/text progress fallback there (a protocol-2.1 frontend gets
// an IntProgress widget; see widgets/ipywidgets/manager.ts).
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium, openAndRunAll, scratchProject, startNotebookServer, type NotebookServer } from "../../scripts/demo-browser.js";
import { ARTIFACTS, ensureKernelspec, kernelEnv, writeNotebook } from "../helpers/jupyter.js";

const SCREENSHOTS = join(ARTIFACTS, "screenshots");

const CHART_CELL = `await display.vegaLite({
  title: "penguins per island",
  data: { values: [{ island: "Biscoe", count: 168 }, { island: "Dream", count: 124 }, { island: "Torgersen", count: 52 }] },
  mark: "bar",
  encoding: { x: { field: "island", type: "nominal" }, y: { field: "count", type: "quantitative" } },
});`;

const PROGRESS_CELL = `import { createProgress } from "labnote/widgets/progress.js";
const bar = createProgress(display, { total: 5, description: "epochs", throttleMs: 0 });
for (let epoch = 1; epoch <= 5; epoch++) {
  await new Promise((done) => setTimeout(done, 20));
  bar.update(epoch);
}
bar.done("epochs done");`;

const TUNE_CELL = `%%tune --trials 3 --sampler random --study browser-check --seed 1
return trial.float("x", -1, 1) ** 2;`;

describe("the labnote kernel in Jupyter Notebook 6 and Chromium", () => {
  let server: NotebookServer | undefined;
  let project: { dir: string; name: string } | undefined;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    ensureKernelspec();
    const notebook = join(ARTIFACTS, "browser", "browser-check.ipynb");
    writeNotebook(notebook, [CHART_CELL, PROGRESS_CELL, TUNE_CELL]);
    project = scratchProject(notebook);
    server = await startNotebookServer(project.dir, kernelEnv());
  }, 90_000);

  afterAll(async () => {
    await server?.stop();
    if (project) rmSync(project.dir, { recursive: true, force: true });
  });

  it("runs all cells; the chart's SVG and the progress bars are visible", async () => {
    const chromiumSession = await launchChromium({ width: 1200, height: 1400 });
    try {
      const page = await chromiumSession.browser.newPage();
      page.on("console", (message) => {
        if (message.type() === "error") consoleErrors.push(message.text());
      });
      await openAndRunAll(page, server!, project!.name, 120_000);
      mkdirSync(SCREENSHOTS, { recursive: true });
      await page.screenshot({ path: join(SCREENSHOTS, "browser-notebook.png") });

      const cells = page.locator(".code_cell");
      expect(await cells.count()).toBe(3);
      // No cell raised: Notebook 6 renders errors as .output_error.
      expect(await page.locator(".output_area .output_error").count()).toBe(0);

      // The Vega-Lite chart: Notebook 6 has no Vega-Lite renderer and ranks text/markdown above image/png, so it
      // shows the Markdown <picture> the bundle carries for exporters (kernel/display.ts): Chromium draws its SVG source.
      const chart = cells.nth(0).locator(".output_markdown img").first();
      await chart.waitFor({ state: "visible" });
      const box = await chart.boundingBox();
      expect(box!.width).toBeGreaterThan(100);
      expect(box!.height).toBeGreaterThan(100);
      expect(await chart.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(100);
      const shown = String(await chart.evaluate((img) => (img as HTMLImageElement).currentSrc));
      expect(shown).toMatch(/^data:image\/svg\+xml;base64,/);
      const chartSvg = Buffer.from(shown.replace(/^data:image\/svg\+xml;base64,/, ""), "base64").toString("utf8");
      expect(chartSvg).toContain("penguins per island");
      expect(chartSvg.match(/<(path|rect)\b/g)?.length ?? 0).toBeGreaterThan(3);
      await chart.screenshot({ path: join(SCREENSHOTS, "browser-chart.png") });

      // The progress bar: an ipywidgets IntProgress where the frontend speaks protocol 2.1, else the HTML fallback.
      const progressCell = cells.nth(1);
      const widgetBars = await progressCell.locator(".widget-progress").count();
      if (widgetBars > 0) {
        await expect.poll(() => progressCell.locator(".widget-progress").first().isVisible()).toBe(true);
      } else {
        const fallback = progressCell.locator(".output_html progress").first();
        await fallback.waitFor({ state: "visible" });
        expect(await fallback.getAttribute("value")).toBe("5");
        expect(await fallback.getAttribute("max")).toBe("5");
        expect(await progressCell.locator(".output_html").first().innerText()).toContain("epochs done");
      }
      await progressCell.screenshot({ path: join(SCREENSHOTS, "browser-progress.png") });

      // %%tune: its trials progress bar and its optimisation-history chart.
      const tuneCell = cells.nth(2);
      expect(await tuneCell.locator(".output_html progress, .widget-progress").count()).toBeGreaterThan(0);
      await tuneCell.locator(".output_markdown img").first().waitFor({ state: "visible" });
      expect(await tuneCell.locator(".output").innerText()).toContain("study browser-check");
    } finally {
      await chromiumSession.close();
    }
  }, 180_000);
});
