// Drives Debian's Jupyter Notebook 6 in Debian's Chromium (playwright-core): serves a notebook directory on
// 127.0.0.1 with a token, opens a notebook, runs all cells, and takes screenshots. Used by
// test/clients/browser.test.ts and, run directly, to take docs/screenshots/quickstart.png:
//   npx tsx scripts/demo-browser.ts            (needs `npm run build` first)
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const CHROMIUM = "/usr/bin/chromium";

/** A one-chart notebook cell (a Vega-Lite line chart titled CHART_TITLE): what export.test and check-nbconvert7 render. */
export const CHART_TITLE = "loss per step";
export const CHART_CELL = `await display.vegaLite({
  title: "${CHART_TITLE}",
  data: { values: [{ step: 1, loss: 0.9 }, { step: 2, loss: 0.55 }, { step: 3, loss: 0.4 }, { step: 4, loss: 0.32 }] },
  mark: { type: "line", point: true, strokeWidth: 3 },
  encoding: { x: { field: "step", type: "quantitative" }, y: { field: "loss", type: "quantitative" } },
});`;
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export interface NotebookServer {
  url: string;
  token: string;
  log(): string;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/** Starts `jupyter notebook` (Notebook 6) on 127.0.0.1 with a fresh token and private config/runtime dirs. */
export async function startNotebookServer(notebookDir: string, env: NodeJS.ProcessEnv): Promise<NotebookServer> {
  const port = await freePort();
  const token = randomBytes(16).toString("hex");
  const home = mkdtempSync(join(tmpdir(), "labnote-nbserver-"));
  const args = ["-m", "notebook", "--no-browser", "--ip=127.0.0.1", `--port=${port}`, "--port-retries=0", `--notebook-dir=${notebookDir}`, `--NotebookApp.token=${token}`, "--NotebookApp.open_browser=False"];
  if (process.getuid?.() === 0) args.push("--allow-root");
  const child: ChildProcess = spawn("/usr/bin/python3", args, {
    env: { ...env, JUPYTER_CONFIG_DIR: join(home, "config"), JUPYTER_RUNTIME_DIR: join(home, "runtime"), JUPYTER_DATA_DIR: join(home, "data"), HOME: home },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`jupyter notebook exited (${child.exitCode}) before serving:\n${output}`);
    try {
      const response = await fetch(`${url}/api/status?token=${token}`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGTERM");
      throw new Error(`jupyter notebook did not answer on ${url} within 60 s:\n${output}`);
    }
    await new Promise((wait) => setTimeout(wait, 250));
  }
  return {
    url,
    token,
    log: () => output,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((done) => child.once("exit", done));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** Debian's Chromium with a new, empty user-data-dir (removed by `close`). */
export async function launchChromium(viewport: { width: number; height: number }): Promise<{ browser: BrowserContext; close(): Promise<void> }> {
  const userDataDir = mkdtempSync(join(tmpdir(), "labnote-chromium-"));
  const browser = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport });
  return {
    browser,
    async close() {
      await browser.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/** Opens a local file with every non-file request refused; returns the page and the URLs it tried to fetch. */
export async function openOffline(browser: BrowserContext, path: string): Promise<{ page: Page; blocked: string[] }> {
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

/** Opens a notebook, waits for the kernel, runs all cells and waits until every code cell has finished. */
export async function openAndRunAll(page: Page, server: NotebookServer, notebookName: string, timeoutMs: number): Promise<void> {
  await page.goto(`${server.url}/notebooks/${encodeURIComponent(notebookName)}?token=${server.token}`);
  type JupyterWindow = { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean }; execute_all_cells(): void; get_cells(): { cell_type: string; input_prompt_number?: unknown }[] } } };
  await page.waitForFunction(() => (window as unknown as JupyterWindow).Jupyter?.notebook?.kernel?.is_connected() === true, undefined, { timeout: 60_000 });
  await page.evaluate(() => (window as unknown as JupyterWindow).Jupyter!.notebook!.execute_all_cells());
  await page.waitForFunction(
    () => (window as unknown as JupyterWindow).Jupyter!.notebook!.get_cells().every((cell) => cell.cell_type !== "code" || typeof cell.input_prompt_number === "number"),
    undefined,
    { timeout: timeoutMs, polling: 500 },
  );
}

/** A scratch project for a notebook: the notebook, the package manifest and lockfile, and the installed packages. */
export function scratchProject(notebook: string): { dir: string; name: string } {
  const dir = mkdtempSync(join(tmpdir(), "labnote-browser-"));
  const name = notebook.split("/").at(-1)!;
  copyFileSync(notebook, join(dir, name));
  for (const file of ["package.json", "package-lock.json"]) cpSync(join(REPO, file), join(dir, file));
  symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
  return { dir, name };
}

/** Runs the quickstart in the browser and saves docs/screenshots/quickstart.png (the tracked run with its chart). */
async function screenshotQuickstart(): Promise<void> {
  const { execFileSync } = await import("node:child_process");
  const prefix = mkdtempSync(join(tmpdir(), "labnote-kernelspec-"));
  execFileSync(process.execPath, [join(REPO, "bin", "labnote.js"), "install", "--prefix", prefix]);
  const env = { ...process.env, JUPYTER_PATH: join(prefix, "share", "jupyter"), JUPYTER_PLATFORM_DIRS: "1" };
  const project = scratchProject(join(REPO, "notebooks", "quickstart.ipynb"));
  const server = await startNotebookServer(project.dir, env);
  const chromiumSession = await launchChromium({ width: 1280, height: 1500 });
  try {
    const page = await chromiumSession.browser.newPage();
    await openAndRunAll(page, server, project.name, 600_000);
    await page.locator(".code_cell").nth(3).scrollIntoViewIfNeeded();
    await page.evaluate(() => document.querySelectorAll(".code_cell")[2]?.scrollIntoView());
    mkdirSync(join(REPO, "docs", "screenshots"), { recursive: true });
    await page.screenshot({ path: join(REPO, "docs", "screenshots", "quickstart.png") });
    console.log(join(REPO, "docs", "screenshots", "quickstart.png"));
  } finally {
    await chromiumSession.close();
    await server.stop();
    rmSync(project.dir, { recursive: true, force: true });
    rmSync(prefix, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  screenshotQuickstart().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
