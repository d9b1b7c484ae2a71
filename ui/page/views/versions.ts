// /versions and /versions/diff?a=&b= — the project's refs/labnote history (each ref a line, so diverged histories
// after a pull stay visible) and the diff of two versions: code per cell, data files (with the row-level diff of
// changed table files: /versions/diff?a=&b=&key=COL), environment, metrics.
import type { JSONObject, JSONValue } from "../../../kernel/types.js";
import type { RowDiffFile, VersionDiffResponse, VersionRowsResponse, VersionsResponse } from "../../api.js";
import { apiGet, ApiRequestError } from "../api-client.js";
import { formatNumber, formatTime, formatValue, h, put, section, type Child } from "../dom.js";
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
  // Changed table files get their row-level diff (the same engine as `%version diff A B --rows`).
  const tableFiles = (data.modified ?? []).filter((entry) => /\.(csv|tsv|jsonl|ndjson|json)$/i.test(entry.path));
  const key = context.params.get("key") ?? "";
  let rows: Child = null;
  if (known && tableFiles.length > 0) {
    try {
      rows = rowDiffs(await apiGet<VersionRowsResponse>("/api/versions/rows", { a, b, key }));
    } catch (error) {
      if (!(error instanceof ApiRequestError) || error.status >= 500) throw error;
      rows = h("p", { class: "error row-diff-error" }, error.message);
    }
    if (context.left()) return;
  }
  const keyForm =
    known && tableFiles.length > 0
      ? h(
          "form",
          {
            class: "toolbar row-key",
            onsubmit: (event) => {
              event.preventDefault();
              context.setParams({ key: ((event.target as HTMLFormElement).elements.namedItem("key") as HTMLInputElement).value.trim() || null });
              context.navigate(location.pathname + location.search);
            },
          },
          h("label", {}, "key column ", h("input", { name: "key", value: key, placeholder: "e.g. id (empty: compare rows by content)", size: 32 })),
          h("button", { type: "submit" }, "Diff rows"),
        )
      : null;
  put(
    context.root,
    h("h1", {}, "Version diff"),
    h("p", {}, "A ", h("code", {}, response.a.slice(0, 10)), " → B ", h("code", {}, response.b.slice(0, 10)), " · ", h("a", { href: `/versions?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}` }, "back to the list")),
    known
      ? [
          section(`Code (${diff.cells?.length ?? 0} cell${diff.cells?.length === 1 ? "" : "s"} changed)`, (diff.cells ?? []).length ? (diff.cells ?? []).map((cell) => h("div", {}, h("h3", {}, `cell ${cell.cell} ${cell.change}`), diffBlock(cell.diff))) : h("p", { class: "muted" }, "no code changes")),
          section("Data", beforeAfter(dataRows)),
          tableFiles.length > 0 ? section(`Rows (${tableFiles.length} table file${tableFiles.length > 1 ? "s" : ""} changed)`, keyForm, rows) : null,
          section("Environment", beforeAfter(diff.env ?? [])),
          section("Metrics", beforeAfter((diff.metrics ?? []).map((row) => ({ key: `${row.run} ${row.metric}`, before: row.before, after: row.after })))),
        ]
      : section("Diff", jsonBlock(response.diff)),
  );
}

const count = (value: number): string => value.toLocaleString("en-US");

function rowTable(columns: string[], rows: { line: number; row: Record<string, string | null> }[], kind: "added" | "removed"): HTMLElement {
  return h(
    "table",
    { class: `grid row-examples rows-${kind}` },
    h("thead", {}, h("tr", {}, h("th", { class: "num" }, "line"), columns.map((column) => h("th", {}, column)))),
    h("tbody", {}, rows.map((example) => h("tr", { class: kind }, h("td", { class: "num" }, example.line), columns.map((column) => h("td", {}, example.row[column] ?? ""))))),
  );
}

function psiLabel(psi: number | null): string {
  if (psi === null) return "";
  return psi < 0.1 ? "stable" : psi <= 0.25 ? "moderate shift" : "large shift";
}

function rowDiffFile(file: RowDiffFile): HTMLElement {
  const { rows, schema, examples } = file;
  const columnsOf = (list: { row: Record<string, string | null> }[], fallback: string[]): string[] => [...new Set([...fallback, ...list.flatMap((example) => Object.keys(example.row))])];
  const schemaChanges = [
    ...schema.added.map((column) => `+ ${column}`),
    ...schema.removed.map((column) => `− ${column}`),
    ...schema.retyped.map((change) => `${change.column}: ${change.before} → ${change.after}`),
  ];
  return h(
    "div",
    { class: "row-diff", "data-path": file.path },
    h("h3", {}, file.path, " ", h("span", { class: "muted small" }, `${count(file.before.rows)} → ${count(file.after.rows)} rows, ${file.key ? `by key ${file.key}` : "by content"}`)),
    h(
      "table",
      { class: "grid row-counts" },
      h("thead", {}, h("tr", {}, ["added", "removed", "changed", "unchanged"].map((label) => h("th", { class: "num" }, label)))),
      h("tbody", {}, h("tr", {}, [rows.added, rows.removed, rows.changed, rows.unchanged].map((value, index) => h("td", { class: `num ${["added", "removed", "changed", "unchanged"][index]}`, "data-count": ["added", "removed", "changed", "unchanged"][index] }, count(value))))),
    ),
    file.duplicateKeys.before + file.duplicateKeys.after > 0 ? h("p", { class: "muted" }, `Rows repeating a key (only the first is compared): ${file.duplicateKeys.before} in A, ${file.duplicateKeys.after} in B.`) : null,
    h("p", { class: "row-schema" }, "Schema: ", schemaChanges.length ? schemaChanges.map((change) => h("code", {}, change, " ")) : h("span", { class: "muted" }, "unchanged")),
    examples.added.length ? [h("h4", {}, `Added (${examples.added.length} of ${count(rows.added)})`), rowTable(columnsOf(examples.added, file.after.columns), examples.added, "added")] : null,
    examples.removed.length ? [h("h4", {}, `Removed (${examples.removed.length} of ${count(rows.removed)})`), rowTable(columnsOf(examples.removed, file.before.columns), examples.removed, "removed")] : null,
    examples.changed.length
      ? [
          h("h4", {}, `Changed (${examples.changed.length} of ${count(rows.changed)})`),
          h(
            "table",
            { class: "grid row-examples rows-changed" },
            h("thead", {}, h("tr", {}, h("th", {}, file.key ?? "row"), h("th", { class: "num" }, "line A → B"), h("th", {}, "column"), h("th", {}, "A"), h("th", {}, "B"))),
            h(
              "tbody",
              {},
              examples.changed.flatMap((change) =>
                change.columns.map((column, index) =>
                  h("tr", { class: "different" }, h("td", {}, index === 0 ? change.key ?? "" : ""), h("td", { class: "num" }, index === 0 ? `${change.line.before} → ${change.line.after}` : ""), h("th", {}, column.column), h("td", {}, column.before ?? ""), h("td", {}, column.after ?? "")),
                ),
              ),
            ),
          ),
        ]
      : null,
    file.drift.length
      ? [
          h("h4", {}, "Drift per column"),
          h(
            "table",
            { class: "grid row-drift" },
            h("thead", {}, h("tr", {}, ["column", "type", "missing A → B", "mean A → B", "top values A → B", "PSI", ""].map((label) => h("th", {}, label)))),
            h(
              "tbody",
              {},
              file.drift.map((column) =>
                h(
                  "tr",
                  { class: column.psi !== null && column.psi >= 0.1 ? "different" : null, "data-column": column.column },
                  h("th", {}, column.column),
                  h("td", {}, column.type.before === column.type.after ? column.type.before : `${column.type.before} → ${column.type.after}`),
                  h("td", { class: "num" }, `${column.missing.before} → ${column.missing.after}`),
                  h("td", { class: "num" }, column.numeric ? `${formatNumber(column.numeric.before.mean)} → ${formatNumber(column.numeric.after.mean)}` : ""),
                  h("td", {}, (column.categories ?? []).slice(0, 3).map((share) => `${share.value} ${Math.round(share.before * 100)}% → ${Math.round(share.after * 100)}%`).join(", ")),
                  h("td", { class: "num", title: column.psiBasis ?? "" }, column.psi === null ? "" : column.psi.toFixed(3)),
                  h("td", {}, psiLabel(column.psi)),
                ),
              ),
            ),
          ),
        ]
      : null,
  );
}

function rowDiffs(response: VersionRowsResponse): HTMLElement {
  return h(
    "div",
    { class: "row-diffs" },
    response.files.map(rowDiffFile),
    response.skipped.map((skip) => h("p", { class: "muted" }, h("code", {}, skip.path), ": ", skip.reason)),
    response.files.length === 0 && response.skipped.length === 0 ? h("p", { class: "muted" }, "no table file changed") : null,
  );
}
