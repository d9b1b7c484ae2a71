// "Save as HTML": the current view as one standalone file — its DOM, the stylesheet, the chart specs with their
// data, and this bundle (which carries vega, vega-lite and vega-embed) inlined, so it opens offline, anywhere.
import { accessToken } from "./api-client.js";
import { chartsOnPage } from "./charts.js";

declare global {
  interface Window {
    __labnoteSnapshot?: { url: string; savedAt: number; title: string; charts: Record<string, object> };
  }
}

/** JSON that is safe inside a <script> element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

async function asset(path: string): Promise<string> {
  const token = accessToken();
  const response = await fetch(path, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw new Error(`could not read ${path} to inline it (HTTP ${response.status})`);
  return response.text();
}

/** The standalone HTML of what `root` shows now. */
export async function snapshotHtml(root: HTMLElement): Promise<string> {
  const [css, js] = await Promise.all([asset("/assets/app.css"), asset("/assets/app.js")]);
  const clone = root.cloneNode(true) as HTMLElement;
  // Charts are redrawn from their specs when the file opens; inputs keep what the user typed.
  for (const chart of clone.querySelectorAll<HTMLElement>("[data-chart-id]")) chart.replaceChildren();
  const liveInputs = root.querySelectorAll<HTMLInputElement>("input");
  clone.querySelectorAll<HTMLInputElement>("input").forEach((input, index) => {
    const live = liveInputs[index];
    if (!live) return;
    if (live.type === "checkbox" || live.type === "radio") input.toggleAttribute("checked", live.checked);
    else input.setAttribute("value", live.value);
    input.setAttribute("disabled", "");
  });
  const snapshot = { url: location.href, savedAt: Date.now(), title: document.title, charts: chartsOnPage() };
  const inlineJs = js.replace(/<\/script/gi, "<\\/script");
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(document.title)}</title>`,
    `<style>${css.replace(/<\/style/gi, "<\\/style")}</style></head>`,
    '<body class="snapshot">',
    `<header class="app-header"><span class="brand">labnote</span><span class="muted">saved ${escapeHtml(new Date().toISOString())} from ${escapeHtml(location.href)}</span></header>`,
    `<main id="app">${clone.innerHTML}</main>`,
    `<script>window.__labnoteSnapshot=${scriptJson(snapshot)};</script>`,
    `<script>${inlineJs}</script>`,
    "</body></html>",
  ].join("\n");
}

export async function saveAsHtml(root: HTMLElement): Promise<void> {
  const html = await snapshotHtml(root);
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([html], { type: "text/html" }));
  link.download = `labnote-${location.pathname.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "") || "runs"}.html`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (char) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[char]!);
}
