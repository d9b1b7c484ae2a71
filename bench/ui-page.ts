// npm run bench:ui-page — the labnote ui page's runs table at scale, in Chromium against a real `labnote ui` server:
// a SQLite store of UI_PAGE_RUNS (100,000) synthetic runs; navigation → first rows drawn; a jump-scroll deep into the
// table → those rows drawn (the page fetches only the pages in view); a header click (server sort) → sorted rows
// drawn; an `or` query → filtered rows drawn; the DOM rows alive meanwhile (virtualised: a screenful, not 100,000).
// Then the curves view of 20 runs × UI_PAGE_POINTS (50,000) loss points with one spike: window.__labnoteDrawMs (data
// arrived → chart drawn) at buckets=1000 and at the page's default (≤ 1 bucket per panel pixel, ≤ 12,000 buckets on
// screen). The browser's cost
// depends on the buckets, not on how many points the store holds (that is bench:ui's server side).
// Needs `npm run build` first (dist/ and dist/ui/page). Prints median (min, max) over REPEATS.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { chromium, type Page } from "playwright-core";
import { RUN_COLUMNS, RUN_FIELDS, runRowValues } from "../store/columns.js";
import { buildRunRecord } from "../store/records.js";
import { openSqliteStore } from "../store/sqlite.js";
import type { MetricPoint } from "../store/types.js";

const RUNS = Number(process.env.UI_PAGE_RUNS ?? 100_000);
const REPEATS = Number(process.env.UI_PAGE_REPEATS ?? 5);
const ROOT = new URL("..", import.meta.url).pathname;
const ROW_HEIGHT = 30;
const CURVE_RUNS = 20;
const POINTS = Number(process.env.UI_PAGE_POINTS ?? 50_000);

async function fillStore(file: string): Promise<void> {
  await (await openSqliteStore(file)).close(); // creates the schema
  const columns = RUN_FIELDS.map((field) => RUN_COLUMNS[field][0]);
  const db = new Database(file);
  const insert = db.prepare(`INSERT INTO runs (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`);
  db.transaction(() => {
    for (let index = 0; index < RUNS; index++) {
      const run = buildRunRecord({
        name: `run-${index}`,
        status: index % 50 === 0 ? "failed" : "finished",
        params: { lr: 10 ** -(1 + (index % 4000) / 1000), width: 16 << index % 5, act: ["relu", "tanh", "gelu"][index % 3]! },
        tags: index % 7 === 0 ? ["baseline", `t${index % 10}`] : [`t${index % 10}`],
        summary: { "train.loss": 1 / (1 + (index % 997)), "val.acc": (index % 1000) / 1000, wall_time_s: 10 + (index % 300) },
        startedAt: 1_700_000_000_000 + index * 1000,
        endedAt: 1_700_000_000_000 + index * 1000 + 900,
      });
      insert.run(runRowValues(run));
    }
  })();
  db.close();
}

/** 20 runs of POINTS loss points each; the first has one spike of 1000. */
async function fillCurves(file: string): Promise<string[]> {
  const store = await openSqliteStore(file);
  const ids: string[] = [];
  try {
    for (let curve = 0; curve < CURVE_RUNS; curve++) {
      const run = await store.createRun({ name: `curve-${curve}`, status: "finished", params: { curve }, startedAt: 1_800_000_000_000 + curve, endedAt: 1_800_000_000_000 + curve + 1 });
      ids.push(run.id);
      const points: MetricPoint[] = [];
      for (let step = 0; step < POINTS; step++) {
        const value = curve === 0 && step === Math.floor(POINTS * 0.777) ? 1000 : 2 / Math.sqrt(1 + step / 1000) + 0.05 * Math.sin(step * 0.37 + curve);
        points.push({ runId: run.id, key: "loss", split: "train", step, value, wallTime: 1_800_000_000_000 + step * 10 });
      }
      await store.appendMetrics(points);
    }
  } finally {
    await store.close();
  }
  return ids;
}

async function drawMs(page: Page, url: string): Promise<number> {
  await page.goto(url);
  await page.waitForFunction(() => document.documentElement.dataset.ready === "1" && typeof (window as { __labnoteDrawMs?: number }).__labnoteDrawMs === "number", undefined, { timeout: 120_000 });
  return page.evaluate(() => (window as { __labnoteDrawMs?: number }).__labnoteDrawMs ?? Number.NaN);
}

async function startServer(store: string): Promise<{ base: string; stop(): void }> {
  const child = spawn(process.execPath, [join(ROOT, "bin", "labnote.js"), "ui", "--store", store, "--port", "0"], { stdio: ["ignore", "pipe", "inherit"] });
  const base = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      const match = /(http:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!.replace(/\/$/, ""));
    });
    child.once("exit", (code) => reject(new Error(`labnote ui exited (${code}): ${out}`)));
  });
  return { base, stop: () => child.kill("SIGTERM") };
}

const median = (values: number[]): string => {
  const sorted = [...values].sort((a, b) => a - b);
  return `${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms (min ${sorted[0]!.toFixed(0)}, max ${sorted.at(-1)!.toFixed(0)})`;
};

/** Milliseconds until a row whose name cell matches `name` is drawn. */
async function rowDrawn(page: Page, name: RegExp, start: number): Promise<number> {
  await page.waitForFunction((source) => [...document.querySelectorAll(".tbody .tr[data-run-id] .td[data-column='name']")].some((cell) => new RegExp(source).test(cell.textContent ?? "")), name.source, { timeout: 60_000, polling: "raf" });
  return performance.now() - start;
}

async function main(): Promise<void> {
  const directory = mkdtempSync(join(tmpdir(), "labnote-bench-ui-page-"));
  const file = join(directory, "labnote.db");
  const server = { stop: () => undefined } as { base?: string; stop(): void };
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless=new", "--no-sandbox", "--disable-gpu"] });
  try {
    const fillStart = performance.now();
    await fillStore(file);
    const curveIds = await fillCurves(file);
    console.log(`machine: ${cpus().length} × ${cpus()[0]?.model}; load average ${loadavg().map((value) => value.toFixed(1)).join(" ")}`);
    console.log(`store: ${RUNS.toLocaleString("en")} runs + ${CURVE_RUNS} × ${POINTS.toLocaleString("en")} curve points in SQLite (filled in ${((performance.now() - fillStart) / 1000).toFixed(1)} s); ${REPEATS} repeats, median (min, max)`);
    Object.assign(server, await startServer(file));
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(`${server.base}/runs`); // warm the server's run index and the browser cache once
    await rowDrawn(page, /^run-/, performance.now());

    const first: number[] = [];
    const jump: number[] = [];
    const sorted: number[] = [];
    const filtered: number[] = [];
    let domRows = 0;
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      let start = performance.now();
      await page.goto(`${server.base}/runs`);
      first.push(await rowDrawn(page, new RegExp(`^run-${RUNS - 1}$`), start)); // newest first

      const target = Math.floor(RUNS * (0.3 + 0.1 * repeat));
      start = performance.now();
      await page.evaluate((top) => (document.querySelector(".table-scroll")!.scrollTop = top), target * ROW_HEIGHT);
      jump.push(await rowDrawn(page, new RegExp(`^run-${RUNS - 1 - target}$`), start));
      domRows = Math.max(domRows, await page.locator(".tbody .tr").count());

      start = performance.now();
      await page.goto(`${server.base}/runs?sort=val.acc`);
      sorted.push(await rowDrawn(page, /^run-\d*000$/, start)); // val.acc 0 first: runs 0, 1000, 2000, …

      start = performance.now();
      await page.goto(`${server.base}/runs?where=${encodeURIComponent(`name == "run-${repeat + 1}" or tags ~ /^t3$/`)}`);
      filtered.push(await rowDrawn(page, /^run-\d*3$/, start));
    }
    console.log(`navigation → first rows drawn: ${median(first)}`);
    console.log(`jump-scroll to row ~${Math.floor(RUNS * 0.3).toLocaleString("en")}…${Math.floor(RUNS * (0.3 + 0.1 * (REPEATS - 1))).toLocaleString("en")} → its rows drawn: ${median(jump)}`);
    console.log(`navigation with sort=val.acc → sorted rows drawn: ${median(sorted)}`);
    console.log(`navigation with an \`or\` query → filtered rows drawn: ${median(filtered)}`);
    console.log(`table rows in the DOM at most: ${domRows} (of ${RUNS.toLocaleString("en")})`);

    const curves = `${server.base}/curves?runs=${curveIds.join(",")}&metrics=loss`;
    const at1000: number[] = [];
    const atPixels: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      at1000.push(await drawMs(page, `${curves}&buckets=1000`));
      atPixels.push(await drawMs(page, curves));
    }
    const spike = await page.evaluate(() => {
      const charts = (window as unknown as { __labnoteCharts: () => { spec: { concat?: { data: { values: { hi: number | null }[] } }[] } }[] }).__labnoteCharts();
      return charts.some((chart) => (chart.spec.concat ?? []).some((panel) => panel.data.values.some((row) => row.hi === 1000)));
    });
    console.log(`curves view, ${CURVE_RUNS} runs × ${POINTS.toLocaleString("en")} points: draw at 1,000 buckets ${median(at1000)}; at the page's default (≤ 1 per panel pixel, ≤ 12,000 on screen) ${median(atPixels)}; spike in the drawn band: ${spike}`);
  } finally {
    await browser.close();
    server.stop();
    rmSync(directory, { recursive: true, force: true });
  }
}

await main();
