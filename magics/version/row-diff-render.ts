// Text and HTML for %version diff --rows (the data itself goes out as application/json).
import type { RowDiffOfFile, VersionRowDiff } from "./row-diff-versions.js";
import type { RowValues } from "./row-diff.js";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

const number = (value: number) => (Number.isInteger(value) ? String(value) : value.toPrecision(4));
const percent = (share: number) => `${(share * 100).toFixed(1)}%`;
const rowText = (row: RowValues) => Object.entries(row).map(([column, value]) => `${column}=${value ?? "∅"}`).join(", ");
const side = (id: string) => (/^[0-9a-f]{40}$/.test(id) ? id.slice(0, 10) : id);

function psiWord(psi: number | null): string {
  if (psi === null) return "";
  return psi < 0.1 ? "stable" : psi < 0.25 ? "moderate shift" : "large shift";
}

function fileText(file: RowDiffOfFile): string[] {
  const out = [`${file.path}: ${file.before.rows} → ${file.after.rows} rows${file.key ? ` (key ${file.key})` : " (by content)"}`];
  const { added, removed, changed, unchanged } = file.rows;
  out.push(`  rows: +${added} added, -${removed} removed, ~${changed} changed, ${unchanged} unchanged`);
  if (file.duplicateKeys.before + file.duplicateKeys.after > 0) out.push(`  duplicate keys (only the first row of each is compared): ${file.duplicateKeys.before} before, ${file.duplicateKeys.after} after`);
  for (const example of file.examples.added) out.push(`  + line ${example.line}: ${rowText(example.row)}`);
  for (const example of file.examples.removed) out.push(`  - line ${example.line}: ${rowText(example.row)}`);
  for (const example of file.examples.changed) out.push(`  ~ ${file.key}=${example.key}: ${example.columns.map((column) => `${column.column} ${column.before ?? "∅"} → ${column.after ?? "∅"}`).join(", ")}`);
  const { schema } = file;
  if (schema.added.length + schema.removed.length + schema.retyped.length === 0) out.push("  schema: unchanged");
  else {
    if (schema.added.length > 0) out.push(`  schema: + column(s) ${schema.added.join(", ")}`);
    if (schema.removed.length > 0) out.push(`  schema: - column(s) ${schema.removed.join(", ")}`);
    for (const entry of schema.retyped) out.push(`  schema: ${entry.column} ${entry.before} → ${entry.after}`);
  }
  for (const drift of file.drift) {
    const parts = [`  drift ${drift.column} (${drift.type.after})`];
    if (drift.numeric) parts.push(`mean ${number(drift.numeric.before.mean)} → ${number(drift.numeric.after.mean)}, std ${number(drift.numeric.before.std)} → ${number(drift.numeric.after.std)}`);
    else if (drift.categories) parts.push(drift.categories.slice(0, 3).map((share) => `${share.value} ${percent(share.before)} → ${percent(share.after)}`).join(", "));
    if (drift.psi !== null) parts.push(`PSI ${drift.psi.toFixed(3)} (${psiWord(drift.psi)})`);
    out.push(parts.join(": "));
  }
  return out;
}

export function renderRowDiffText(diff: VersionRowDiff): string {
  const out = [`rows ${side(diff.from)} → ${side(diff.to)}`];
  if (diff.files.length === 0 && diff.skipped.length === 0) out.push("no table file differs between them");
  for (const file of diff.files) out.push(...fileText(file));
  for (const skipped of diff.skipped) out.push(`${skipped.path}: not diffed by rows — ${skipped.reason}`);
  return out.join("\n");
}

function rowsTable(title: string, columns: string[], rows: { line: number; row: RowValues }[]): string {
  if (rows.length === 0) return "";
  const head = `<tr><th>line</th>${columns.map((column) => `<th>${escapeHtml(column)}</th>`).join("")}</tr>`;
  const body = rows.map((entry) => `<tr><td>${entry.line}</td>${columns.map((column) => `<td>${escapeHtml(entry.row[column] ?? "")}</td>`).join("")}</tr>`).join("");
  return `<p>${title}</p><table><thead>${head}</thead><tbody>${body}</tbody></table>`;
}

function fileHtml(file: RowDiffOfFile): string {
  const { added, removed, changed, unchanged } = file.rows;
  const parts = [
    `<h4>${escapeHtml(file.path)}</h4>`,
    `<table><thead><tr><th>rows before</th><th>rows after</th><th>added</th><th>removed</th><th>changed</th><th>unchanged</th><th>key</th></tr></thead><tbody><tr><td>${file.before.rows}</td><td>${file.after.rows}</td><td>${added}</td><td>${removed}</td><td>${changed}</td><td>${unchanged}</td><td>${escapeHtml(file.key ?? "(by content)")}</td></tr></tbody></table>`,
    rowsTable("added rows (examples)", file.after.columns, file.examples.added),
    rowsTable("removed rows (examples)", file.before.columns, file.examples.removed),
  ];
  if (file.examples.changed.length > 0) {
    parts.push(
      `<p>changed rows (examples)</p><table><thead><tr><th>${escapeHtml(file.key ?? "key")}</th><th>column</th><th>before</th><th>after</th></tr></thead><tbody>${file.examples.changed
        .flatMap((example) => example.columns.map((column) => `<tr><td>${escapeHtml(example.key ?? "")}</td><td>${escapeHtml(column.column)}</td><td>${escapeHtml(column.before ?? "")}</td><td>${escapeHtml(column.after ?? "")}</td></tr>`))
        .join("")}</tbody></table>`,
    );
  }
  const { schema } = file;
  const schemaRows = [...schema.added.map((column) => [column, "added", ""]), ...schema.removed.map((column) => [column, "removed", ""]), ...schema.retyped.map((entry) => [entry.column, "retyped", `${entry.before} → ${entry.after}`])];
  if (schemaRows.length > 0) parts.push(`<p>schema changes</p><table><thead><tr><th>column</th><th>change</th><th>types</th></tr></thead><tbody>${schemaRows.map((row) => `<tr>${row.map((cell) => `<td>${escapeHtml(cell!)}</td>`).join("")}</tr>`).join("")}</tbody></table>`);
  if (file.drift.length > 0) {
    parts.push(
      `<p>drift per column</p><table><thead><tr><th>column</th><th>type</th><th>mean before</th><th>mean after</th><th>std before</th><th>std after</th><th>top values (before → after)</th><th>PSI</th></tr></thead><tbody>${file.drift
        .map((drift) => {
          const numeric = drift.numeric;
          const categories = drift.categories?.slice(0, 3).map((share) => `${share.value}: ${percent(share.before)} → ${percent(share.after)}`).join("; ") ?? "";
          return `<tr><td>${escapeHtml(drift.column)}</td><td>${drift.type.before === drift.type.after ? drift.type.after : `${drift.type.before} → ${drift.type.after}`}</td><td>${numeric ? number(numeric.before.mean) : ""}</td><td>${numeric ? number(numeric.after.mean) : ""}</td><td>${numeric ? number(numeric.before.std) : ""}</td><td>${numeric ? number(numeric.after.std) : ""}</td><td>${escapeHtml(categories)}</td><td>${drift.psi === null ? "" : `${drift.psi.toFixed(3)} ${psiWord(drift.psi)}`}</td></tr>`;
        })
        .join("")}</tbody></table>`,
    );
  }
  return parts.join("");
}

export function renderRowDiffHtml(diff: VersionRowDiff): string {
  const skipped = diff.skipped.map((entry) => `<p>${escapeHtml(entry.path)}: not diffed by rows — ${escapeHtml(entry.reason)}</p>`).join("");
  const body = diff.files.length === 0 && diff.skipped.length === 0 ? "<p>no table file differs between them</p>" : diff.files.map(fileHtml).join("") + skipped;
  return `<div class="labnote-row-diff"><p>rows ${escapeHtml(side(diff.from))} → ${escapeHtml(side(diff.to))}</p>${body}</div>`;
}
