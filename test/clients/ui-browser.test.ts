// The labnote ui dashboard in Debian's Chromium (playwright-core): a store filled through a real kernel (nbclient
// executes %%track runs and a %%tune study), `node bin/labnote.js ui` started as a user starts it, then the views a
// person uses — a query with `or`, a bad query, one run, three runs' overlaid curves, a study, a live point logged by
// another process, a reloaded permalink, 401 without the token off loopback. SQLite, and PostgreSQL for the runs and
// curves path. Screenshots go to docs/screenshots/ (the README shows them) and test-artifacts/screenshots/.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshSchemaUrl, usePostgres } from "../unit/store/pg-cluster.js";
import { ARTIFACTS, executeNotebook, REPO_ROOT, writeNotebook } from "../helpers/jupyter.js";
import { startUiServer, type UiServer } from "../helpers/ui-server.js";

const SCREENSHOTS = join(ARTIFACTS, "screenshots");
const DOC_SCREENSHOTS = join(REPO_ROOT, "docs", "screenshots");
const VIEWPORT = { width: 1400, height: 900 };

/** A %%track cell: a decaying train loss with some wobble (and one spike when asked), val loss/acc every 30 steps. */
function trackCell(name: string, lr: number, width: number, tags: string, spikeAt = -1, extra = ""): string {
  return `%%track --name ${name} --param lr=${lr} --param width=${width} --tags ${tags}
for (let step = 0; step <= 300; step++) {
  const base = 0.05 + Math.exp(-step * ${lr} * 3) * (1 + 0.08 * Math.sin(step / 5));
  run.log({ loss: step === ${spikeAt} ? 25 : base }, { step, split: "train" });
  if (step % 30 === 0) run.log({ loss: base + 0.1, acc: 1 - Math.exp(-step * ${lr} * 2) }, { step, split: "val" });
}
run.samples([{ input: "first", pred: 1, label: 1 }, { input: "second", pred: 0, label: 1 }, { input: "third", pred: 1, label: 1 }]);${extra}`;
}

/** Before the runs: a file to keep as an artifact, and the %eval library. */
const SETUP_CELL = `import { writeFileSync } from "node:fs";
import { evaluate } from "labnote";
writeFileSync("model.json", JSON.stringify({ weights: [0.5, -1.25, 2] }));`;

const TRACK_CELLS = [
  trackCell("mlp-a", 0.01, 32, "mlp,baseline", 150, `
await run.artifact("model.json");
await evaluate.report({ preds: [1, 0, 1, 1], labels: [1, 1, 1, 0] });`),
  trackCell("mlp-b", 0.003, 64, "mlp"),
  trackCell("cnn-a", 0.02, 16, "cnn"),
  trackCell("cnn-b", 0.001, 16, "cnn,baseline"),
  trackCell("rnn-a", 0.03, 8, "rnn"),
];
/** A table file the project declares as data; the second version changes it, for the Versions view's row diff. */
const TABLE_BEFORE = `id,score,city\n${Array.from({ length: 20 }, (_, i) => `${i + 1},${(i % 5) + 0.5},${i % 2 ? "oslo" : "rome"}`).join("\n")}\n`;
const TABLE_AFTER = `id,score,city,extra\n${Array.from({ length: 21 }, (_, i) => i + 1)
  .filter((id) => id !== 7)
  .map((id) => `${id},${id === 12 ? 99.5 : ((id - 1) % 5) + 0.5},${id % 4 === 0 ? "paris" : id % 2 ? "rome" : "oslo"},x`)
  .join("\n")}\n`;
const writeTable = (text: string): string => `import { mkdirSync as mkdirTable, writeFileSync as writeTable } from "node:fs";
mkdirTable("data", { recursive: true });
writeTable("data/table.csv", ${JSON.stringify(text)});`;

const TUNE_CELL = `%%tune --trials 4 --sampler random --study ui-study --seed 3
const x = trial.float("x", -2, 2);
const width = trial.int("width", 4, 64, { log: true });
return (x - 0.5) ** 2 + 1 / width;`;

/** What the curves view drew: the rows in each panel of the spec it handed to vega-embed. */
interface DrawnRow {
  metric: string;
  run: string;
  split: string;
  x: number;
  hi: number | null;
  y: number | null;
}

async function chartRows(page: Page): Promise<DrawnRow[]> {
  return page.evaluate(() => {
    const charts = (window as unknown as { __labnoteCharts: () => { spec: { concat?: { data: { values: unknown[] } }[] } }[] }).__labnoteCharts();
    return charts.flatMap((chart) => (chart.spec.concat ?? []).flatMap((panel) => panel.data.values)) as DrawnRow[];
  });
}

/** The specs on the page as JSON, panel sizes left out (they follow the window, not the view's state). */
async function drawnSpecs(page: Page): Promise<string> {
  const specs = await page.evaluate(() => JSON.stringify((window as unknown as { __labnoteCharts: () => { spec: unknown }[] }).__labnoteCharts().map((chart) => chart.spec)));
  return specs.replace(/"(width|height)":\d+,/g, "");
}

/** A screenshot of the page down to the end of its content, into test-artifacts/screenshots and docs/screenshots. */
async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  mkdirSync(DOC_SCREENSHOTS, { recursive: true });
  await page.mouse.move(0, 0); // no hover highlight in the picture
  const bottom = await page.evaluate(() => Math.ceil(document.querySelector("main")!.getBoundingClientRect().bottom));
  await page.screenshot({ path: join(SCREENSHOTS, name), clip: { x: 0, y: 0, width: VIEWPORT.width, height: Math.min(VIEWPORT.height, Math.max(300, bottom)) } });
  // The README's pictures change only when asked for (LABNOTE_UPDATE_SCREENSHOTS=1), never as a side effect of a test run.
  if (process.env.LABNOTE_UPDATE_SCREENSHOTS === "1") copyFileSync(join(SCREENSHOTS, name), join(DOC_SCREENSHOTS, name));
}

async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(() => document.documentElement.dataset.ready === "1", undefined, { timeout: 60_000, polling: 100 });
}

async function visibleRunNames(page: Page): Promise<string[]> {
  return page.locator(".tbody .tr[data-run-id] .td[data-column='name']").allInnerTexts();
}

async function query(page: Page, where: string): Promise<void> {
  await page.fill("input.query", where);
  await page.press("input.query", "Enter");
  await waitReady(page);
  expect(await page.locator(".query-error").isVisible()).toBe(false);
}

/** The runs-and-curves path both stores must pass: an `or` query filters the table; three runs' curves overlay. */
async function checkRunsAndCurves(page: Page, server: UiServer): Promise<void> {
  await page.goto(`${server.url.replace(/\/$/, "")}`);
  await waitReady(page);
  await page.locator(".tbody .tr[data-run-id]").first().waitFor();
  expect(await visibleRunNames(page)).toEqual(expect.arrayContaining(["mlp-a", "mlp-b", "cnn-a", "cnn-b", "rnn-a"]));
  expect(await page.getByRole("button", { name: /Delete/ }).count()).toBe(0); // read-only unless --allow-delete

  await query(page, 'name == "mlp-a" or tags ~ /cnn/');
  await expect.poll(async () => (await visibleRunNames(page)).sort(), { timeout: 30_000 }).toEqual(["cnn-a", "cnn-b", "mlp-a"]);
  expect(new URL(page.url()).searchParams.get("where")).toBe('name == "mlp-a" or tags ~ /cnn/');

  for (const row of await page.locator(".tbody .tr[data-run-id] input[type=checkbox]").all()) await row.check();
  await page.getByRole("button", { name: "Chart (3)" }).click();
  await page.waitForURL(/\/curves\?runs=/);
  await waitReady(page);
  const rows = await chartRows(page);
  expect(new Set(rows.map((row) => row.run))).toEqual(new Set(["mlp-a", "cnn-a", "cnn-b"]));
  expect(new Set(rows.map((row) => row.metric))).toEqual(new Set(["loss", "acc"]));
  expect(new Set(rows.filter((row) => row.metric === "loss").map((row) => row.split))).toEqual(new Set(["train", "val"]));
  // The spike at step 150 of mlp-a survives the server's buckets in the band, though the line's last values hide it.
  expect(Math.max(...rows.filter((row) => row.run === "mlp-a" && row.split === "train").map((row) => row.hi ?? 0))).toBe(25);
  // Drawn: a line per run and split in each panel, and the min..max bands.
  expect(await page.locator(".curves-chart svg g.mark-line path").count()).toBeGreaterThanOrEqual(3 * 2 + 3);
  expect(await page.locator(".curves-chart svg g.mark-area path").count()).toBeGreaterThanOrEqual(3);
  expect(await page.locator(".curves-chart svg.marks").innerHTML()).toContain("cnn-b");
}

describe("labnote ui in Chromium over a SQLite store filled by a real kernel", () => {
  let project = "";
  let server: UiServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(join(ARTIFACTS, "ui-browser"), { recursive: true });
    project = mkdtempSync(join(ARTIFACTS, "ui-browser", "sqlite-"));
    // Its own git repository, as a user's project has: %version commit writes refs/labnote there for the Versions view.
    execFileSync("git", ["init", "-q", "-b", "main", project]);
    const notebook = join(project, "experiments.ipynb");
    writeNotebook(notebook, [
      SETUP_CELL,
      writeTable(TABLE_BEFORE),
      "%version data data/table.csv",
      ...TRACK_CELLS,
      '%version commit -m "five runs"',
      TUNE_CELL,
      writeTable(TABLE_AFTER),
      "%version data data/table.csv",
      '%version commit -m "with the study"',
    ]);
    await executeNotebook(notebook, { cwd: project, timeoutSec: 240 });
    server = await startUiServer(["--store", join(project, ".labnote", "labnote.db"), "--port", "0"], { ...process.env, LABNOTE_STORE: "" });
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox", "--disable-gpu"] });
    page = await browser.newPage({ viewport: VIEWPORT });
    page.on("pageerror", (error) => pageErrors.push(error.message));
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("filters runs with an `or` query, points at a bad query's error, and overlays three runs' curves", async () => {
    await checkRunsAndCurves(page, server!);
    // The screenshot on a log scale: the spike and the three runs' decay are both readable there.
    await page.check("input[name=log]");
    await waitReady(page);
    await screenshot(page, "ui-curves.png");

    await page.goto(`${server!.origin}/runs`);
    await waitReady(page);
    await page.fill("input.query", "params.lr < and name == 'x'");
    await page.press("input.query", "Enter");
    const error = page.locator(".query-error");
    await error.waitFor({ state: "visible" });
    expect(await error.innerText()).toMatch(/position \d+/);
    expect(await page.locator("input.query").getAttribute("aria-invalid")).toBe("true");

    // Group by a tag with the mean/min/max of a metric; pin a column and hide another — all kept in the URL.
    await page.goto(`${server!.origin}/runs?group=tags&gm=val.acc`);
    await waitReady(page);
    const cnnGroup = page.locator(".groups-table tbody tr", { hasText: "cnn" });
    await cnnGroup.waitFor();
    expect((await cnnGroup.innerText()).split("\t").map((cell) => cell.trim()).slice(0, 2)).toEqual(["cnn", "2"]);
    await page.locator(".columns-chooser summary").click();
    await page.locator("button[data-pin='params.width']").click();
    await waitReady(page);
    await page.locator(".columns-chooser summary").click();
    await page.locator("input[name='show:tags']").uncheck();
    await waitReady(page);
    const address = new URL(page.url());
    expect(address.searchParams.get("pin")).toBe("params.width");
    expect(address.searchParams.get("cols")!.split(",")).not.toContain("tags");
    const headers = page.locator(".thead .th[data-column]");
    expect(await headers.first().getAttribute("data-column")).toBe("params.width");
    expect(await headers.first().getAttribute("class")).toContain("pinned");
    // The URL changes before the table redraws: wait for the hidden column's header to go.
    await page.locator(".thead .th[data-column='tags']").waitFor({ state: "detached", timeout: 10_000 });
    await page.reload();
    await waitReady(page);
    expect(await page.locator(".thead .th[data-column]").first().getAttribute("data-column")).toBe("params.width");
    expect(await page.locator(".groups-table tbody tr", { hasText: "cnn" }).count()).toBe(1);

    await page.goto(`${server!.origin}/runs?sort=-params.lr`);
    await waitReady(page);
    await page.locator(".tbody .tr[data-run-id]").first().waitFor();
    for (const name of ["mlp-a", "cnn-b"]) await page.locator(`.tbody .tr[data-run-id]:has-text("${name}") input[type=checkbox]`).check();
    await screenshot(page, "ui-runs.png");
    expect(pageErrors).toEqual([]);
  });

  it("opens one run with its params, metrics, curves and samples", async () => {
    await page.goto(`${server!.origin}/runs?where=${encodeURIComponent('name == "mlp-a"')}`);
    await waitReady(page);
    await page.locator(".tbody .tr[data-run-id] a.run-link").first().click();
    await page.waitForURL(/\/run\//);
    await waitReady(page);
    expect(await page.locator("h1").innerText()).toContain("mlp-a");
    const params = await page.locator("section.card:has(h2:text-is('Params'))").innerText();
    expect(params).toContain("lr");
    expect(params).toContain("0.01");
    expect(await page.locator("section.card:has(h2:text-is('Metrics (final, min, max)'))").innerText()).toContain("val.acc");
    await page.locator(".run-chart svg.marks").waitFor();
    await page.locator(".samples-table tbody tr").first().waitFor();
    expect(await page.locator(".samples-table tbody tr").count()).toBe(3);
    // The artifact downloads through its link; the %eval report attached to the run is shown.
    const artifact = page.locator("section.card:has(h2:text-matches('^Artifacts')) a", { hasText: "model.json" });
    const download = await page.request.get(new URL((await artifact.getAttribute("href"))!, page.url()).toString());
    expect(download.status()).toBe(200);
    expect(JSON.parse(await download.text())).toEqual({ weights: [0.5, -1.25, 2] });
    expect(await page.locator("section.card:has(h2:text-matches('%eval')) ").innerText()).toMatch(/accuracy[\s\S]*0\.5/);
    await page.fill("input[name=filter]", "second");
    await page.press("input[name=filter]", "Enter");
    await expect.poll(() => page.locator(".samples-table tbody tr").count(), { timeout: 20_000 }).toBe(1);
  });

  it("reloads a curves permalink into the same view", async () => {
    await page.goto(`${server!.origin}/runs?where=${encodeURIComponent("tags ~ /mlp/")}`);
    await waitReady(page);
    await expect.poll(async () => (await visibleRunNames(page)).sort(), { timeout: 30_000 }).toEqual(["mlp-a", "mlp-b"]);
    for (const row of await page.locator(".tbody .tr[data-run-id] input[type=checkbox]").all()) await row.check();
    await page.getByRole("button", { name: "Chart (2)" }).click();
    await waitReady(page);
    await page.check("input[name=log]");
    await waitReady(page);
    await page.selectOption("select[name=x]", "relative");
    await waitReady(page);
    const url = page.url();
    expect(new URL(url).searchParams.get("log")).toBe("1");
    expect(new URL(url).searchParams.get("x")).toBe("relative");
    const before = await drawnSpecs(page);

    await page.reload();
    await waitReady(page);
    expect(page.url()).toBe(url);
    expect(await page.isChecked("input[name=log]")).toBe(true);
    expect(await page.inputValue("select[name=x]")).toBe("relative");
    const after = await drawnSpecs(page);
    expect(after === before, "the reloaded permalink draws the same spec").toBe(true);
    expect(before).toContain('"type":"log"');
  });

  it("plots a metric against another metric's value at the same step", async () => {
    const listed = (await (await fetch(`${server!.origin}/api/runs?where=${encodeURIComponent('name == "mlp-a" or name == "cnn-a"')}`)).json()) as { runs: { id: string; name: string }[] };
    const ids = listed.runs.map((run) => run.id);
    expect(ids).toHaveLength(2);
    await page.goto(`${server!.origin}/curves?runs=${ids.join(",")}&metrics=acc&x=${encodeURIComponent("metric:train.loss")}`);
    await waitReady(page);
    expect(await page.inputValue("select[name=x]")).toBe("metric:train.loss");
    const rows = (await chartRows(page)) as (DrawnRow & { step: number })[];
    expect(new Set(rows.map((row) => row.metric))).toEqual(new Set(["acc"]));
    // val.acc is logged every 30 steps; each point sits at train.loss of its own run at that step (the notebook's formula).
    const trainLoss = (lr: number, step: number): number => (step === 150 && lr === 0.01 ? 25 : 0.05 + Math.exp(-step * lr * 3) * (1 + 0.08 * Math.sin(step / 5)));
    for (const [name, lr] of [["mlp-a", 0.01], ["cnn-a", 0.02]] as const) {
      const own = rows.filter((row) => row.run === name).sort((a, b) => a.step - b.step);
      expect(own.map((row) => row.step)).toEqual([0, 30, 60, 90, 120, 150, 180, 210, 240, 270, 300]);
      for (const row of own) expect(row.x).toBeCloseTo(trainLoss(lr, row.step), 9);
    }
    expect(await page.locator(".curves-chart svg .role-axis-title text", { hasText: "train.loss" }).count()).toBeGreaterThan(0);
    expect(await page.locator(".curves-chart svg g.mark-rule line").count()).toBeGreaterThanOrEqual(22); // each bucket's min..max
    expect(await page.locator(".curves-chart svg g.mark-line path").count()).toBe(2);
    // Back to steps from the control; the permalink keeps the choice.
    await page.selectOption("select[name=x]", "step");
    await waitReady(page);
    expect(new URL(page.url()).searchParams.get("x")).toBeNull();
    expect(Math.max(...(await chartRows(page)).map((row) => row.x))).toBe(300);
  });

  it("saves the curves view as one HTML file that draws offline", async () => {
    await page.goto(`${server!.origin}/runs?where=${encodeURIComponent("tags ~ /cnn/")}`);
    await waitReady(page);
    await expect.poll(async () => (await visibleRunNames(page)).length, { timeout: 30_000 }).toBe(2);
    for (const row of await page.locator(".tbody .tr[data-run-id] input[type=checkbox]").all()) await row.check();
    await page.getByRole("button", { name: "Chart (2)" }).click();
    await waitReady(page);
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("button.save-html")]);
    const file = join(project, "saved-view.html");
    await download.saveAs(file);

    const offline = await browser!.newPage({ viewport: VIEWPORT });
    const requested: string[] = [];
    await offline.route("**/*", (route) => (route.request().url().startsWith("file:") ? route.continue() : (requested.push(route.request().url()), route.abort())));
    try {
      await offline.goto(`file://${file}`);
      await waitReady(offline);
      expect(requested).toEqual([]); // everything it needs is inside the file
      expect(await offline.locator(".curves-chart svg.marks g.mark-line path").count()).toBeGreaterThanOrEqual(2);
      expect(await offline.locator(".curves-chart svg.marks").innerHTML()).toContain("cnn-a");
      expect(await offline.locator("h1").innerText()).toContain("Curves");
    } finally {
      await offline.close();
    }
  });

  it("compares two runs side by side, differences only on request", async () => {
    await page.goto(`${server!.origin}/runs?where=${encodeURIComponent("tags ~ /mlp/")}`);
    await waitReady(page);
    await expect.poll(async () => (await visibleRunNames(page)).length, { timeout: 30_000 }).toBe(2);
    for (const row of await page.locator(".tbody .tr[data-run-id] input[type=checkbox]").all()) await row.check();
    await page.getByRole("button", { name: "Compare" }).click();
    await page.waitForURL(/\/compare\?ids=/);
    await waitReady(page);
    const params = page.locator("section.card:has(h2:text-is('Params')) table");
    expect(await params.locator("thead th").allInnerTexts()).toEqual(expect.arrayContaining(["mlp-a", "mlp-b"]));
    const lrRow = params.locator("tbody tr", { hasText: "lr" });
    expect(await lrRow.getAttribute("class")).toContain("different");
    expect(await lrRow.innerText()).toMatch(/0\.01[\s\S]*0\.003|0\.003[\s\S]*0\.01/);
    const allRows = await page.locator(".compare-table tbody tr").count();
    await page.check("input[name=diff]");
    expect(new URL(page.url()).searchParams.get("diff")).toBe("1");
    const differentRows = await page.locator(".compare-table tbody tr").count();
    expect(differentRows).toBeLessThan(allRows);
    expect(await page.locator(".compare-table tbody tr:not(.different)").count()).toBe(0);
    if (await page.locator(".compare-chart").count()) await page.locator(".compare-chart svg.marks").waitFor();
  });

  it("lists the project's versions and diffs two of them", async () => {
    await page.goto(`${server!.origin}/versions`);
    await waitReady(page);
    const rows = page.locator(".versions-table tbody tr");
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBeGreaterThanOrEqual(2);
    const commits = page.locator(".versions-table tbody tr.commit");
    expect(await commits.allInnerTexts()).toEqual([expect.stringContaining("with the study"), expect.stringContaining("five runs")]);
    await commits.nth(1).locator("input[name=pick-a]").check();
    await commits.nth(0).locator("input[name=pick-b]").check();
    await page.getByRole("button", { name: "Diff A → B" }).click();
    await page.waitForURL(/\/versions\/diff\?a=.+&b=.+/);
    await waitReady(page);
    expect(await page.locator("h1").innerText()).toBe("Version diff");
    expect(await page.locator("section.card h2").allInnerTexts()).toEqual([expect.stringMatching(/^Code/), "Data", "Rows (1 table file changed)", "Environment", "Metrics"]);
    expect(await page.locator("main .error").count()).toBe(0);
    // The changed table's row diff, by content first, then keyed by id (kept in the URL).
    const rowDiff = page.locator(".row-diff[data-path='data/table.csv']");
    expect(await rowDiff.locator("h3").innerText()).toContain("20 → 20 rows, by content");
    await page.fill(".row-key input[name=key]", "id");
    await page.getByRole("button", { name: "Diff rows" }).click();
    await page.waitForURL(/[?&]key=id/);
    await waitReady(page);
    expect(await rowDiff.locator("h3").innerText()).toContain("by key id");
    const counts = Object.fromEntries(await Promise.all(["added", "removed", "changed", "unchanged"].map(async (kind) => [kind, await rowDiff.locator(`.row-counts td[data-count=${kind}]`).innerText()])));
    expect(counts).toEqual({ added: "1", removed: "1", changed: "5", unchanged: "14" });
    expect(await rowDiff.locator(".row-schema").innerText()).toContain("+ extra");
    expect(await rowDiff.locator(".rows-added tbody tr").innerText()).toMatch(/21\s+0\.5\s+rome\s+x/);
    expect(await rowDiff.locator(".rows-removed tbody tr").innerText()).toMatch(/\b7\b/);
    expect(await rowDiff.locator(".rows-changed tbody").innerText()).toMatch(/12[\s\S]*score\s+1\.5\s+99\.5/);
    expect(await rowDiff.locator(".row-drift tr[data-column=city]").innerText()).toMatch(/paris/);
    expect(await rowDiff.locator(".row-drift tr[data-column=score] td").nth(4).innerText()).toMatch(/^\d+\.\d{3}$/); // PSI
    // The API behind it: the same numbers as JSON; a key that is no column is a 400 naming the file, a path neither
    // version has a 404, an unknown version a 404.
    const versions = new URL(page.url()).searchParams;
    const rowsApi = (query: string): Promise<Response> => fetch(`${server!.origin}/api/versions/rows?a=${versions.get("a")}&b=${versions.get("b")}${query}`);
    const keyed = (await (await rowsApi("&key=id&path=data/table.csv")).json()) as { key: string; files: { path: string; rows: Record<string, number>; schema: { added: string[] } }[] };
    expect(keyed.files.map((file) => [file.path, file.rows, file.schema.added])).toEqual([["data/table.csv", { added: 1, removed: 1, changed: 5, unchanged: 14 }, ["extra"]]]);
    const badKey = await rowsApi("&key=nope");
    expect(badKey.status).toBe(400);
    expect(((await badKey.json()) as { error: string }).error).toMatch(/data\/table\.csv.*"nope"/);
    expect((await rowsApi("&path=data/other.csv")).status).toBe(404);
    expect((await fetch(`${server!.origin}/api/versions/rows?a=${versions.get("a")}&b=0000000000`)).status).toBe(404);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, "ui-version-diff.png"), fullPage: true });
  });

  it("opens a study: history, parallel coordinates and trials", async () => {
    await page.goto(`${server!.origin}/studies`);
    await waitReady(page);
    await page.locator("a", { hasText: "ui-study" }).click();
    await page.waitForURL(/\/studies\/ui-study/);
    await waitReady(page);
    expect(await page.locator(".trials-table tbody tr").count()).toBe(4);
    expect(await page.locator("section.card:has(h2:text-is('Optimisation history')) svg.marks").count()).toBe(1);
    expect(await page.locator(".study-summary").innerText()).toContain("4 trials");
    await page.screenshot({ path: join(SCREENSHOTS, "ui-study.png"), fullPage: true });
  });

  it("follows a study live while another process runs its trials", async () => {
    const script = join(project, "study-writer.mjs");
    writeFileSync(
      script,
      `import { tune } from ${JSON.stringify(join(REPO_ROOT, "dist", "index.js"))};
const study = tune.study({ name: "live-study", mode: "min", sampler: "random", seed: 5, projectDir: ${JSON.stringify(project)} });
await study.optimize(async (trial) => { const x = trial.float("x", -1, 1); await new Promise((done) => setTimeout(done, 1200)); return x * x; }, { trials: 8 });
console.log("DONE");
`,
    );
    const writer = spawn(process.execPath, [script], { cwd: project, env: { ...process.env, LABNOTE_STORE: "" }, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    writer.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    writer.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      await expect
        .poll(async () => ((await (await fetch(`${server!.origin}/api/studies`)).json()) as { studies: { name: string }[] }).studies.some((study) => study.name === "live-study"), { timeout: 60_000, interval: 100 })
        .toBe(true);
      await page.goto(`${server!.origin}/studies/live-study`);
      await waitReady(page);
      const rows = page.locator(".trials-table tbody tr");
      const first = await rows.count();
      expect(first, output).toBeLessThan(8); // opened while trials were still running
      await expect.poll(() => rows.count(), { timeout: 60_000, interval: 200 }).toBe(8);
      await expect.poll(() => page.locator(".study-summary").innerText(), { timeout: 30_000 }).toContain("8 trials (8 complete");
      await page.locator("section.card:has(h2:text-is('Optimisation history')) svg.marks").waitFor();
    } finally {
      await new Promise((done) => {
        if (writer.exitCode !== null) return done(null);
        const timer = setTimeout(() => (writer.kill("SIGKILL"), done(null)), 30_000);
        writer.once("exit", () => (clearTimeout(timer), done(null)));
      });
    }
  });

  it("shows a point logged by another process within seconds", async () => {
    const script = join(project, "live-writer.mjs");
    writeFileSync(
      script,
      `import { track } from ${JSON.stringify(join(REPO_ROOT, "dist", "index.js"))};
import { createInterface } from "node:readline";
const run = track.start({ name: "live-run", params: { lr: 0.5 }, projectDir: ${JSON.stringify(project)}, flushIntervalMs: 100, systemIntervalMs: 0, anomalies: false });
for (let step = 0; step < 5; step++) run.log({ loss: 1 / (step + 1) }, { step, split: "train" });
run.flush();
await new Promise((done) => setTimeout(done, 400));
console.log("RUN " + run.id);
for await (const line of createInterface({ input: process.stdin })) {
  const [command, value] = line.split(" ");
  if (command === "STEP") { run.log({ loss: 0.123 }, { step: Number(value), split: "train" }); run.flush(); console.log("LOGGED " + value); }
  if (command === "END") { await run.end(); process.exit(0); }
}
`,
    );
    // The runs table is open while the run starts: it offers to show the new run.
    await page.goto(`${server!.origin}/runs`);
    await waitReady(page);
    await page.locator(".tbody .tr[data-run-id]").first().waitFor();
    const writer: ChildProcess = spawn(process.execPath, [script], { cwd: project, env: { ...process.env, LABNOTE_STORE: "" }, stdio: ["pipe", "pipe", "pipe"] });
    let ended = false;
    let output = "";
    writer.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    writer.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    try {
      await expect.poll(() => /RUN (\S+)/.exec(output)?.[1], { timeout: 60_000, interval: 100 }).toBeTruthy();
      const runId = /RUN (\S+)/.exec(output)![1];
      const notice = page.locator(".changes");
      await expect.poll(() => notice.innerText(), { timeout: 30_000 }).toMatch(/^1 new run since this table was loaded/);
      await notice.getByRole("button", { name: "Show" }).click();
      await expect.poll(() => visibleRunNames(page), { timeout: 30_000 }).toContain("live-run");
      expect(await notice.isHidden()).toBe(true);
      await page.goto(`${server!.origin}/curves?runs=${runId}`);
      await waitReady(page);
      expect((await chartRows(page)).filter((row) => row.run === "live-run").length).toBeGreaterThan(0);
      await page.locator(".live", { hasText: "Live" }).waitFor({ timeout: 30_000 });

      const loggedAt = Date.now();
      writer.stdin!.write("STEP 500\n");
      await page.waitForFunction(
        () => (window as unknown as { __labnoteCharts: () => { spec: { concat?: { data: { values: { x: number }[] } }[] } }[] }).__labnoteCharts().some((chart) => (chart.spec.concat ?? []).some((panel) => panel.data.values.some((row) => row.x === 500))),
        undefined,
        { timeout: 30_000, polling: 50 },
      );
      const seenAfterMs = Date.now() - loggedAt;
      await page.locator(".curves-chart svg g.mark-line path").first().waitFor();
      writeFileSync(join(ARTIFACTS, "ui-browser", "live-latency-ms.txt"), `${seenAfterMs}\n`);
      console.log(`labnote ui: a point logged by another process was drawn after ${seenAfterMs} ms`);

      // The one-run view follows the run too: a new point in its curves, then its status when it ends.
      await page.goto(`${server!.origin}/run/${runId}`);
      await waitReady(page);
      await page.locator(".run-header .live", { hasText: "live" }).waitFor({ timeout: 30_000 });
      expect(await page.locator(".run-header .status").innerText()).toBe("running");
      writer.stdin!.write("STEP 600\n");
      await page.waitForFunction(
        () => (window as unknown as { __labnoteCharts: () => { spec: { concat?: { data: { values: { x: number }[] } }[] } }[] }).__labnoteCharts().some((chart) => (chart.spec.concat ?? []).some((panel) => panel.data.values.some((row) => row.x === 600))),
        undefined,
        { timeout: 30_000, polling: 50 },
      );
      ended = true;
      writer.stdin!.write("END\n");
      await expect.poll(() => page.locator(".run-header .status").innerText(), { timeout: 30_000 }).toBe("finished");
      expect(await page.locator(".run-header .live").innerText()).toBe("");
    } finally {
      if (!ended) writer.stdin!.write("END\n");
      await new Promise((done) => {
        if (writer.exitCode !== null) return done(null);
        const timer = setTimeout(() => (writer.kill("SIGKILL"), done(null)), 10_000);
        writer.once("exit", () => (clearTimeout(timer), done(null)));
      });
    }
  });

  it("follows the system's dark mode, charts included", async () => {
    const dark = await browser!.newPage({ viewport: VIEWPORT, colorScheme: "dark" });
    try {
      await dark.goto(`${server!.origin}/runs?where=${encodeURIComponent('name == "mlp-a"')}`);
      await waitReady(dark);
      await dark.locator(".tbody .tr[data-run-id] a.run-link").first().click();
      await waitReady(dark);
      const background = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
      expect(background).toBe("rgb(20, 20, 23)");
      // Vega's dark theme: light axis labels on the chart.
      const labelFill = await dark.locator(".run-chart svg.marks .role-axis-label text").first().getAttribute("fill");
      expect(labelFill).toMatch(/^#(fff|ffffff|[cdef][0-9a-f]{5})$/i);
    } finally {
      await dark.close();
    }
  });

  it("answers 401 without the token on a non-loopback bind, and serves with it", async () => {
    const open = await startUiServer(["--store", join(project, ".labnote", "labnote.db"), "--host", "0.0.0.0", "--port", "0", "--token", "ui-test-token"], { ...process.env, LABNOTE_STORE: "" });
    try {
      const origin = open.origin.replace("0.0.0.0", "127.0.0.1");
      expect((await fetch(`${origin}/api/runs`)).status).toBe(401);
      expect((await fetch(`${origin}/api/runs`, { headers: { authorization: "Bearer wrong" } })).status).toBe(401);
      expect((await fetch(`${origin}/api/runs`, { headers: { authorization: "Bearer ui-test-token" } })).status).toBe(200);
      const tokenPage = await browser!.newPage({ viewport: VIEWPORT });
      try {
        const denied = await tokenPage.goto(`${origin}/runs`);
        expect(denied?.status()).toBe(401);
        await tokenPage.goto(`${origin}/runs?token=ui-test-token`);
        await waitReady(tokenPage);
        await tokenPage.locator(".tbody .tr[data-run-id]").first().waitFor();
        expect(new URL(tokenPage.url()).searchParams.get("token")).toBeNull(); // dropped from the address bar, kept for the tab
      } finally {
        await tokenPage.close();
      }
    } finally {
      await open.stop();
    }
  });
});

describe("labnote ui in Chromium over a PostgreSQL store filled by a real kernel", () => {
  const serverUrl = usePostgres();
  let project = "";
  let server: UiServer | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    const store = await freshSchemaUrl(serverUrl());
    mkdirSync(join(ARTIFACTS, "ui-browser"), { recursive: true });
    project = mkdtempSync(join(ARTIFACTS, "ui-browser", "pg-"));
    const notebook = join(project, "experiments.ipynb");
    writeNotebook(notebook, [SETUP_CELL, ...TRACK_CELLS]);
    await executeNotebook(notebook, { cwd: project, timeoutSec: 240, env: { LABNOTE_STORE: store } });
    server = await startUiServer(["--store", store, "--port", "0"]);
    browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox", "--disable-gpu"] });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it("filters runs with an `or` query and overlays three runs' curves", async () => {
    const page = await browser!.newPage({ viewport: VIEWPORT });
    await checkRunsAndCurves(page, server!);
    expect(await page.locator(".app-header .store").innerText()).toContain("postgres");
  });
});
