// /versions and /versions/diff?a=&b= — the project's refs/labnote history (each ref a line, so diverged histories
// after a pull stay visible) and the diff of two versions: code per cell, data files, environment, metrics.
import type { JSONObject, JSONValue } from "../../../kernel/types.js";
import type { VersionDiffResponse, VersionsResponse } from "../../api.js";
import { apiGet } from "../api-client.js";
import { formatTime, formatValue, h, put, section } from "../dom.js";
import type { ViewContext } from "../router.js";
import { diffBlock } from "./compare.js";
import { jsonBlock } from "./run.js";

export async function versionsView(context: ViewContext): Promise<void> {
  const response = await apiGet<VersionsResponse>("/api/versions", { limit: 500 });
  if (context.left()) return;
  context.root.append(h("h1", {}, "Versions ", h("span", { class: "muted" }, response.project ?? "")));
  if (response.versions.length === 0) {
    context.root.append(h("p", { class: "empty" }, response.project ? "No versions yet: `%version commit -m \"…\"` makes one (cells are snapshotted as they run)." : "This store has no project directory beside it, so there is no refs/labnote history to show."));
    return;
  }
  const refs = [...new Set(response.versions.map((version) => version.ref))];
  const picks = { a: context.params.get("a") ?? "", b: context.params.get("b") ?? "" };
  const diffButton = h("button", { type: "button", onclick: () => context.navigate(`/versions/diff?a=${encodeURIComponent(picks.a)}&b=${encodeURIComponent(picks.b)}`) }, "Diff A → B");
  const syncButton = (): void => {
    diffButton.toggleAttribute("disabled", !picks.a || !picks.b || picks.a === picks.b);
  };
  syncButton();
  context.root.append(
    h("div", { class: "toolbar" }, h("span", { class: "muted" }, `${refs.length} line${refs.length > 1 ? "s" : ""}: `, refs.map((ref, index) => h("span", { class: `ref ref-${index % 6}` }, ref))), diffButton),
    h(
      "table",
      { class: "grid versions-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "A"), h("th", {}, "B"), h("th", {}, "id"), h("th", {}, "line"), h("th", {}, "kind"), h("th", {}, "message"), h("th", {}, "notebook"), h("th", {}, "time"), h("th", {}, "parents"))),
      h(
        "tbody",
        {},
        response.versions.map((version) =>
          h(
            "tr",
            { class: version.kind === "commit" ? "commit" : null },
            (["a", "b"] as const).map((side) =>
              h("td", {}, h("input", { type: "radio", name: `pick-${side}`, value: version.id, checked: picks[side] === version.id, "aria-label": `${side} = ${version.id.slice(0, 8)}`, onchange: () => ((picks[side] = version.id), context.setParams({ [side]: version.id }), syncButton()) })),
            ),
            h("td", {}, h("code", { title: version.id }, version.id.slice(0, 10))),
            h("td", {}, h("span", { class: `ref ref-${refs.indexOf(version.ref) % 6}` }, version.ref.replace(/^refs\/labnote\//, ""))),
            h("td", {}, version.kind),
            h("td", {}, version.message),
            h("td", {}, version.notebook ?? ""),
            h("td", {}, formatTime(version.time)),
            h("td", {}, version.parents.map((parent) => h("code", { title: parent }, parent.slice(0, 8), " "))),
          ),
        ),
      ),
    ),
  );
}

interface DiffShape {
  cells?: { cell: number; change: string; diff: string }[];
  data?: { added?: JSONObject[]; removed?: JSONObject[]; modified?: { path: string; before: JSONObject; after: JSONObject }[] };
  env?: { key: string; before: JSONValue; after: JSONValue }[];
  metrics?: { run: string; metric: string; before: JSONValue; after: JSONValue }[];
}

export async function versionDiffView(context: ViewContext): Promise<void> {
  const a = context.params.get("a") ?? "";
  const b = context.params.get("b") ?? "";
  if (!a || !b) {
    context.root.append(h("p", { class: "empty" }, "Pick versions A and B in the ", h("a", { href: "/versions" }, "versions list"), "."));
    return;
  }
  const response = await apiGet<VersionDiffResponse>("/api/versions/diff", { a, b });
  if (context.left()) return;
  const diff = response.diff as unknown as DiffShape;
  const beforeAfter = (rows: { key: string; before: JSONValue; after: JSONValue }[]): HTMLElement =>
    rows.length === 0
      ? h("p", { class: "muted" }, "no differences")
      : h("table", { class: "grid" }, h("thead", {}, h("tr", {}, h("th", {}, "key"), h("th", {}, "A"), h("th", {}, "B"))), h("tbody", {}, rows.map((row) => h("tr", { class: "different" }, h("th", {}, row.key), h("td", {}, formatValue(row.before)), h("td", {}, formatValue(row.after))))));
  const data = diff.data ?? {};
  const dataRows = [
    ...(data.added ?? []).map((entry) => ({ key: `+ ${String(entry.path)}`, before: null, after: (entry.sha256 as string | undefined)?.slice(0, 12) ?? "" })),
    ...(data.removed ?? []).map((entry) => ({ key: `- ${String(entry.path)}`, before: (entry.sha256 as string | undefined)?.slice(0, 12) ?? "", after: null })),
    ...(data.modified ?? []).map((entry) => ({ key: `~ ${entry.path}`, before: String(entry.before.sha256 ?? "").slice(0, 12), after: String(entry.after.sha256 ?? "").slice(0, 12) })),
  ];
  const known = diff.cells !== undefined || diff.data !== undefined;
  put(
    context.root,
    h("h1", {}, "Version diff"),
    h("p", {}, "A ", h("code", {}, response.a.slice(0, 10)), " → B ", h("code", {}, response.b.slice(0, 10)), " · ", h("a", { href: `/versions?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}` }, "back to the list")),
    known
      ? [
          section(`Code (${diff.cells?.length ?? 0} cell${diff.cells?.length === 1 ? "" : "s"} changed)`, (diff.cells ?? []).length ? (diff.cells ?? []).map((cell) => h("div", {}, h("h3", {}, `cell ${cell.cell} ${cell.change}`), diffBlock(cell.diff))) : h("p", { class: "muted" }, "no code changes")),
          section("Data", beforeAfter(dataRows)),
          section("Environment", beforeAfter(diff.env ?? [])),
          section("Metrics", beforeAfter((diff.metrics ?? []).map((row) => ({ key: `${row.run} ${row.metric}`, before: row.before, after: row.after })))),
        ]
      : section("Diff", jsonBlock(response.diff)),
  );
}
