// Widgets on the JupyterLab 4 stack: a page bundled with esbuild from @jupyterlab/services (KernelManager, the
// client JupyterLab 4 and VS Code use) and @jupyter-widgets/html-manager (the ipywidgets 8 manager) talks to the
// real labnote kernel through Debian's Jupyter server, in Chromium. The page opens `jupyter.widget.control` as an
// ipywidgets 8 frontend does (that is how labnote detects a widget manager), so a progress bar becomes one
// IntProgress view updated in place; a Vega-Lite display is drawn by vega-embed. The page is served on the
// server's own origin through playwright's routing, so its REST and websocket calls are same-origin.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { extname, join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromium } from "playwright-core";
import { CHROMIUM, scratchProject, startNotebookServer, type NotebookServer } from "../../scripts/demo-browser.js";
import { ARTIFACTS, ensureKernelspec, kernelEnv, REPO_ROOT, writeNotebook } from "../helpers/jupyter.js";

const PROGRESS_CELL = `import { createProgress } from "labnote/widgets/progress.js";
const bar = createProgress(display, { total: 6, description: "epochs", throttleMs: 0 });
for (let epoch = 1; epoch <= 6; epoch++) {
  await new Promise((done) => setTimeout(done, 20));
  bar.update(epoch);
}
bar.done();`;

const CHART_CELL = `await display.vegaLite({
  title: "penguins per island",
  data: { values: [{ island: "Biscoe", count: 168 }, { island: "Dream", count: 124 }, { island: "Torgersen", count: 52 }] },
  mark: "bar",
  encoding: { x: { field: "island", type: "nominal" }, y: { field: "count", type: "quantitative" } },
});`;

// The page: the same glue JupyterLab's widget extension does — comm target "jupyter.widget" handed to the
// manager through the base package's services shim, and the control comm opened at connect.
const PAGE_ENTRY = `
import { KernelManager, ServerConnection } from "@jupyterlab/services";
import { HTMLManager } from "@jupyter-widgets/html-manager";
import { shims } from "@jupyter-widgets/base";
import embed from "vega-embed";

const WIDGET_MIME = "application/vnd.jupyter.widget-view+json";
const VEGA_LITE_MIME = "application/vnd.vegalite.v5+json";
const result = { log: [], errors: [], widgetDisplays: 0, vegaDisplays: 0, modelIds: [], values: [], done: false };
window.__result = result;

async function main() {
  const settings = ServerConnection.makeSettings({
    baseUrl: location.origin + "/",
    wsUrl: location.origin.replace(/^http/, "ws") + "/",
    token: window.__token,
  });
  const kernels = new KernelManager({ serverSettings: settings });
  const kernel = await kernels.startNew({ name: "labnote" });
  await kernel.info;
  const manager = new HTMLManager();
  kernel.registerCommTarget("jupyter.widget", async (comm, msg) => {
    const model = await manager.handle_comm_open(new shims.services.Comm(comm), msg);
    // Every value the model takes after it opened, and how many progress views the page holds at each.
    model.on("change:value", () => result.values.push({ value: model.get("value"), views: document.querySelectorAll("#progress .widget-hprogress").length }));
    return model;
  });
  const control = kernel.createComm("jupyter.widget.control");
  await control.open({}).done;
  result.log.push("control comm open");

  async function run(code, el) {
    const pending = [];
    const future = kernel.requestExecute({ code });
    future.onIOPub = (msg) => {
      const type = msg.header.msg_type;
      if (type === "error") result.errors.push(msg.content.ename + ": " + msg.content.evalue);
      if (type !== "display_data" && type !== "execute_result") return;
      const data = msg.content.data;
      if (data[WIDGET_MIME]) {
        result.widgetDisplays += 1;
        const id = data[WIDGET_MIME].model_id;
        result.modelIds.push(id);
        pending.push(manager.get_model(id).then((model) => manager.create_view(model)).then((view) => manager.display_view(view, el)));
      } else if (data[VEGA_LITE_MIME]) {
        result.vegaDisplays += 1;
        const div = document.createElement("div");
        el.appendChild(div);
        pending.push(embed(div, data[VEGA_LITE_MIME], { renderer: "svg", actions: false }));
      }
    };
    const reply = await future.done;
    await Promise.all(pending);
    return reply.content.status;
  }
  result.progressStatus = await run(window.__cells[0], document.getElementById("progress"));
  result.chartStatus = await run(window.__cells[1], document.getElementById("chart"));
  const model = result.modelIds.length ? await manager.get_model(result.modelIds[0]) : undefined;
  result.model = model ? { name: model.get("_model_name"), value: model.get("value"), max: model.get("max"), barStyle: model.get("bar_style") } : null;
  await kernel.shutdown();
}
main().catch((error) => result.errors.push(String(error && error.stack || error))).finally(() => { result.done = true; });
`;

const TYPES: Record<string, string> = { ".js": "text/javascript", ".css": "text/css", ".html": "text/html", ".woff": "font/woff", ".woff2": "font/woff2", ".svg": "image/svg+xml", ".ttf": "font/ttf", ".eot": "application/vnd.ms-fontobject", ".png": "image/png", ".gif": "image/gif" };

describe("labnote widgets on the JupyterLab 4 stack (@jupyterlab/services + @jupyter-widgets/html-manager) in Chromium", () => {
  let server: NotebookServer | undefined;
  let project: { dir: string; name: string } | undefined;
  let pageDir: string | undefined;

  beforeAll(async () => {
    ensureKernelspec();
    pageDir = mkdtempSync(join(tmpdir(), "labnote-jlw-page-"));
    await build({
      stdin: { contents: PAGE_ENTRY, resolveDir: REPO_ROOT, loader: "js" },
      bundle: true,
      format: "iife",
      platform: "browser",
      outdir: pageDir,
      entryNames: "page",
      loader: { ".woff": "file", ".woff2": "file", ".ttf": "file", ".eot": "file", ".svg": "file", ".png": "file", ".gif": "file" },
      define: { "process.env.NODE_ENV": '"production"', global: "window", __webpack_public_path__: '""' },
      logLevel: "silent",
    });
    const notebook = join(ARTIFACTS, "jupyterlab-widgets", "jupyterlab-widgets.ipynb");
    writeNotebook(notebook, []);
    project = scratchProject(notebook);
    server = await startNotebookServer(project.dir, kernelEnv());
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    if (project) rmSync(project.dir, { recursive: true, force: true });
    if (pageDir) rmSync(pageDir, { recursive: true, force: true });
  });

  it("shows one IntProgress view that reaches the end in place, and a Vega-Lite chart drawn by vega-embed", async () => {
    // A page fulfilled through playwright's routing has no network address of its own, so Chromium's Local
    // Network Access checks would refuse its websocket to 127.0.0.1; this test turns those checks off.
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-features=LocalNetworkAccessChecks,PrivateNetworkAccessChecks,BlockInsecurePrivateNetworkRequests"],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1000, height: 900 } });
      const base = `${server!.url}/labnote-jupyterlab-widgets/`;
      await page.route(`${base}**`, async (route) => {
        const name = new URL(route.request().url()).pathname.slice("/labnote-jupyterlab-widgets/".length) || "index.html";
        if (name === "index.html") {
          const css = readFileSync(join(pageDir!, "page.css"), "utf8").length > 0 ? '<link rel="stylesheet" href="page.css">' : "";
          await route.fulfill({
            contentType: "text/html",
            body: `<!doctype html><html><head><meta charset="utf-8">${css}</head><body><div id="progress"></div><div id="chart"></div>
<script>window.__token = ${JSON.stringify(server!.token)}; window.__cells = ${JSON.stringify([PROGRESS_CELL, CHART_CELL])};</script>
<script src="page.js"></script></body></html>`,
          });
          return;
        }
        try {
          await route.fulfill({ contentType: TYPES[extname(name)] ?? "application/octet-stream", body: readFileSync(join(pageDir!, name)) });
        } catch {
          await route.fulfill({ status: 404, body: "" });
        }
      });
      const consoleLines: string[] = [];
      page.on("console", (message) => consoleLines.push(`${message.type()}: ${message.text()}`));
      page.on("pageerror", (error) => consoleLines.push(`pageerror: ${error.message}`));
      await page.goto(`${base}index.html`);
      await page
        .waitForFunction(() => (window as unknown as { __result: { done: boolean } }).__result?.done === true, undefined, { timeout: Number(process.env.JLW_TIMEOUT ?? 150_000), polling: 250 })
        .catch(async (error: Error) => {
          const partial = await page.evaluate(() => JSON.stringify((window as unknown as { __result: unknown }).__result)).catch(() => "");
          throw new Error(`${error.message}\npage state: ${partial}\nconsole:\n${consoleLines.slice(-30).join("\n")}`);
        });
      const result = (await page.evaluate(() => (window as unknown as { __result: unknown }).__result)) as {
        errors: string[]; log: string[]; values: { value: number; views: number }[]; widgetDisplays: number; vegaDisplays: number; modelIds: string[];
        progressStatus: string; chartStatus: string; model: { name: string; value: number; max: number; barStyle: string } | null;
      };
      expect(result.errors).toEqual([]);
      expect(result.progressStatus).toBe("ok");
      expect(result.chartStatus).toBe("ok");
      // The kernel saw the control comm and sent a widget, displayed once and then updated in place.
      expect(result.widgetDisplays).toBe(1);
      expect(result.model).toEqual({ name: "IntProgressModel", value: 6, max: 6, barStyle: "success" });
      // Updated in place: the model went through the epochs as comm updates (no new display), ending at 6, and
      // the page never held more than the one view.
      expect(result.values.length).toBeGreaterThanOrEqual(2);
      expect(result.values.at(-1)!.value).toBe(6);
      expect(result.values.map((step) => step.value)).toEqual([...result.values.map((step) => step.value)].sort((a, b) => a - b));
      expect(result.values.every((step) => step.views <= 1)).toBe(true);
      const progress = page.locator("#progress");
      expect(await progress.locator(".widget-hprogress").count()).toBe(1);
      // The view's bar reflects the final value: ipywidgets 8's ProgressView sets the bar's width to value/max.
      const bar = progress.locator(".widget-hprogress .progress-bar");
      expect(await bar.count()).toBe(1);
      expect(await bar.evaluate((el) => (el as HTMLElement).style.width)).toBe("100%");
      expect(await bar.getAttribute("class")).toContain("progress-bar-success");
      expect(await progress.innerText()).toContain("epochs");

      // The chart: vega-embed drew an SVG with its marks (three bars) and the title.
      expect(result.vegaDisplays).toBe(1);
      const svg = page.locator("#chart svg.marks");
      await svg.waitFor({ state: "attached" });
      expect(await page.locator("#chart svg .mark-rect path").count()).toBe(3);
      expect(await page.locator("#chart svg").first().textContent()).toContain("penguins per island");
      await page.screenshot({ path: join(ARTIFACTS, "screenshots", "jupyterlab-widgets.png") });
    } finally {
      await browser.close();
    }
  }, 200_000);
});
