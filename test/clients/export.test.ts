// Charts that survive sharing: a notebook executed on the labnote kernel through nbclient, then exported two ways —
// Debian's own `jupyter nbconvert --to html` (whose SVG sanitizer empties inline <svg>) and `labnote export` — and
// each export opened in Chromium with the network blocked: the chart must be there and visibly drawn.
import { execFile } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchChromium } from "../../scripts/demo-browser.js";
import { ARTIFACTS, executeNotebook, JUPYTER, kernelEnv, REPO_ROOT, writeNotebook } from "../helpers/jupyter.js";

const DIR = join(ARTIFACTS, "export");
const SCREENSHOTS = join(ARTIFACTS, "screenshots");
const TITLE = "loss per step";

const CHART_CELL = `await display.vegaLite({
  title: "${TITLE}",
  data: { values: [{ step: 1, loss: 0.9 }, { step: 2, loss: 0.55 }, { step: 3, loss: 0.4 }, { step: 4, loss: 0.32 }] },
  mark: { type: "line", point: true, strokeWidth: 3 },
  encoding: { x: { field: "step", type: "quantitative" }, y: { field: "loss", type: "quantitative" } },
});`;

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(command, args, { cwd: REPO_ROOT, env: kernelEnv(), maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** Opens a local file with every non-file request refused; returns the page and the URLs it tried to fetch. */
async function openOffline(browser: BrowserContext, path: string): Promise<{ page: Page; blocked: string[] }> {
  const page = await browser.newPage();
  const blocked: string[] = [];
  await page.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith("file:") || url.startsWith("data:")) return route.continue();
    blocked.push(url);
    return route.abort();
  });
  await page.goto(`file://${path}`);
  return { page, blocked };
}

/** Pixels of an <img> that are not near-white: a blank or broken image has none. */
function inkedPixels(page: Page, selector: string): Promise<number> {
  return page.locator(selector).first().evaluate((element) => {
    const img = element as HTMLImageElement;
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext("2d")!;
    context.drawImage(img, 0, 0);
    const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
    let inked = 0;
    for (let index = 0; index < pixels.length; index += 4) if (pixels[index]! < 200 || pixels[index + 1]! < 200 || pixels[index + 2]! < 200) inked++;
    return inked;
  });
}

describe("exported labnote notebooks keep their charts", () => {
  let executed = "";
  let chromium: Awaited<ReturnType<typeof launchChromium>> | undefined;

  beforeAll(async () => {
    rmSync(DIR, { recursive: true, force: true });
    mkdirSync(SCREENSHOTS, { recursive: true });
    const source = join(DIR, "chart.ipynb");
    writeNotebook(source, [CHART_CELL, 'console.log("trained");']);
    executed = join(DIR, "chart.executed.ipynb");
    await executeNotebook(source, { cwd: DIR, outputPath: executed, timeoutSec: 120 });
    chromium = await launchChromium({ width: 1000, height: 900 });
  }, 180_000);

  afterAll(async () => {
    await chromium?.close();
  });

  it("jupyter nbconvert --to html (Debian's 6.5) shows the chart as an image of its SVG, drawn in Chromium", async () => {
    const result = await run(JUPYTER, ["nbconvert", "--to", "html", executed, "--output-dir", DIR, "--output", "nbconvert"]);
    expect(result.code, result.stderr).toBe(0);
    const html = readFileSync(join(DIR, "nbconvert.html"), "utf8");
    const images = [...html.matchAll(/<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)"/g)];
    expect(images).toHaveLength(1);
    const svg = Buffer.from(images[0]![1]!, "base64").toString("utf8");
    expect(svg).toContain(TITLE);
    expect(svg.match(/<path\b/g)?.length ?? 0).toBeGreaterThan(3);

    const { page } = await openOffline(chromium!.browser, join(DIR, "nbconvert.html"));
    const image = page.locator('[data-mime-type="text/markdown"] img').first();
    await image.waitFor({ state: "visible" });
    expect(await image.evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(100);
    expect(await inkedPixels(page, '[data-mime-type="text/markdown"] img')).toBeGreaterThan(500);
    await image.screenshot({ path: join(SCREENSHOTS, "export-nbconvert-chart.png") });
    await page.close();
  }, 120_000);

  it("labnote export writes one HTML file whose chart vega-embed draws with the network blocked", async () => {
    const out = join(DIR, "labnote-export.html");
    const result = await run(process.execPath, ["bin/labnote.js", "export", executed, "--out", out]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toContain("(1 charts,");
    const html = readFileSync(out, "utf8");
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing to fetch
    expect(html).toMatch(/class="chart-fallback"><svg[^>]*>[\s\S]*<path/); // static SVG for where scripts do not run

    const { page, blocked } = await openOffline(chromium!.browser, out);
    await page.waitForFunction(() => document.documentElement.hasAttribute("data-charts-drawn"), undefined, { timeout: 30_000 });
    expect(await page.getAttribute("html", "data-charts-drawn")).toBe("1");
    const live = page.locator(".chart.live .chart-live.vega-embed svg.marks").first();
    await live.waitFor({ state: "visible" });
    expect(await live.locator("path").count()).toBeGreaterThan(3);
    expect(await live.locator("text", { hasText: TITLE }).count()).toBe(1);
    expect(await page.locator(".chart-fallback").first().isVisible()).toBe(false);
    expect(await page.locator(".outputs pre", { hasText: "trained" }).count()).toBe(1);
    expect(blocked).toEqual([]);
    await page.locator(".chart").first().screenshot({ path: join(SCREENSHOTS, "export-labnote-chart.png") });
    await page.close();
  }, 120_000);

  it("labnote export names what is wrong with its arguments", async () => {
    const missing = await run(process.execPath, ["bin/labnote.js", "export", join(DIR, "no-such.ipynb")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read .*no-such\.ipynb as a notebook/);
    const none = await run(process.execPath, ["bin/labnote.js", "export"]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Which notebook?");
    const help = await run(process.execPath, ["bin/labnote.js", "export", "--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("labnote export NOTEBOOK [--out FILE]");
  });
});
