// The labnote ui page: reads /api/info, then routes by URL path to a view. Loaded from a saved HTML file instead,
// it only redraws the charts inlined in it (no server, no network).
import type { InfoResponse } from "../api.js";
import { apiGet } from "./api-client.js";
import { chartData, drawChart, pruneCharts } from "./charts.js";
import { h } from "./dom.js";
import { beginLoad } from "./ready.js";
import { Router, type Route } from "./router.js";
import { saveAsHtml } from "./save-html.js";
import { compareView } from "./views/compare.js";
import { curvesView } from "./views/curves.js";
import { runView } from "./views/run.js";
import { runsView } from "./views/runs.js";
import { studiesView, studyView } from "./views/studies.js";
import { versionDiffView, versionsView } from "./views/versions.js";

declare global {
  interface Window {
    /** The specs (with their data rows) of the charts on the page: what tests and bench:ui read. */
    __labnoteCharts?: typeof chartData;
  }
}
window.__labnoteCharts = chartData;

const ROUTES: Route[] = [
  { pattern: /^\/runs\/?$/, view: runsView, title: "Runs" },
  { pattern: /^\/curves\/?$/, view: curvesView, title: "Curves" },
  { pattern: /^\/run\/([^/]+)\/?$/, view: runView, title: "Run" },
  { pattern: /^\/compare\/?$/, view: compareView, title: "Compare" },
  { pattern: /^\/studies\/?$/, view: studiesView, title: "Studies" },
  { pattern: /^\/studies\/([^/]+)\/?$/, view: studyView, title: "Study" },
  { pattern: /^\/versions\/?$/, view: versionsView, title: "Versions" },
  { pattern: /^\/versions\/diff\/?$/, view: versionDiffView, title: "Version diff" },
];

const NAV: [string, string][] = [
  ["/runs", "Runs"],
  ["/studies", "Studies"],
  ["/versions", "Versions"],
];

async function redrawSnapshot(): Promise<void> {
  const done = beginLoad();
  try {
    const charts = window.__labnoteSnapshot?.charts ?? {};
    await Promise.all(
      [...document.querySelectorAll<HTMLElement>("[data-chart-id]")].map((container) => {
        const spec = charts[container.dataset.chartId ?? ""];
        return spec ? drawChart(container, spec) : null;
      }),
    );
  } finally {
    done();
  }
}

async function start(): Promise<void> {
  if (window.__labnoteSnapshot) return redrawSnapshot();
  const done = beginLoad();
  const root = h("main", { id: "app" });
  const nav = h("nav", {}, NAV.map(([href, label]) => h("a", { href, "data-nav": href }, label)));
  const storeLabel = h("span", { class: "store muted" });
  const saveButton = h("button", { type: "button", class: "save-html", title: "one standalone HTML file: this view with its data and charts, no network needed" }, "Save as HTML");
  document.body.append(h("header", { class: "app-header" }, h("a", { class: "brand", href: "/runs" }, "labnote"), nav, storeLabel, saveButton), root);
  try {
    const info = await apiGet<InfoResponse>("/api/info");
    storeLabel.textContent = `${info.store.kind} · ${info.store.location}`;
    storeLabel.title = `labnote ${info.version}${info.allowDelete ? " · deleting allowed" : " · read-only"}`;
    saveButton.addEventListener("click", () => {
      saveButton.disabled = true;
      saveAsHtml(root)
        .catch((error: unknown) => window.alert(error instanceof Error ? error.message : String(error)))
        .finally(() => (saveButton.disabled = false));
    });
    const router = new Router(ROUTES, root, info, () => {
      pruneCharts();
      for (const link of nav.querySelectorAll<HTMLAnchorElement>("a")) link.classList.toggle("active", location.pathname.startsWith(link.dataset.nav ?? "\u0000") || (link.dataset.nav === "/runs" && ["/", "/curves", "/compare"].includes(location.pathname)));
    });
    await router.render();
  } catch (error) {
    root.append(h("p", { class: "error" }, error instanceof Error ? error.message : String(error)));
  } finally {
    done();
  }
}

void start();
