// Text and HTML renderings of tables (runs list, diffs) and the paged sample-rows table.
import type { SampleRow } from "../../store/types.js";

export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export function formatCell(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "number") return Number.isInteger(value) ? String(value) : Math.abs(value) >= 1e-3 && Math.abs(value) < 1e6 ? value.toPrecision(4).replace(/\.?0+$/, "") : value.toExponential(3);
  if (typeof value === "string") return value;
  return JSON.stringify(value);
}

/** A plain-text table with aligned columns. */
export function textTable(headers: string[], rows: unknown[][]): string {
  const cells = rows.map((row) => row.map(formatCell));
  const widths = headers.map((header, column) => Math.min(40, Math.max(header.length, ...cells.map((row) => row[column]?.length ?? 0))));
  const line = (values: string[]): string => values.map((value, column) => value.slice(0, 40).padEnd(widths[column])).join("  ").trimEnd();
  return [line(headers), line(widths.map((width) => "-".repeat(width))), ...cells.map(line)].join("\n");
}

export function htmlTable(headers: string[], rows: unknown[][], options: { highlightRows?: Set<number>; caption?: string } = {}): string {
  const head = headers.map((header) => `<th style="text-align:left">${escapeHtml(header)}</th>`).join("");
  const body = rows
    .map((row, index) => {
      const style = options.highlightRows?.has(index) ? ' style="background:#fff3cd"' : "";
      return `<tr${style}>${row.map((cell) => `<td style="text-align:left">${escapeHtml(formatCell(cell))}</td>`).join("")}</tr>`;
    })
    .join("");
  const caption = options.caption ? `<caption style="text-align:left">${escapeHtml(options.caption)}</caption>` : "";
  return `<table class="labnote-table">${caption}<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/**
 * Sample rows as a paged table without scripts (frontends may not run them): the first page open, the next pages
 * in collapsed <details> sections, at most `maxPages` pages inline; the rest are named with the command that shows them.
 */
export function samplesHtml(rows: readonly SampleRow[], options: { pageSize?: number; maxPages?: number; total?: number; runRef?: string; firstIndex?: number } = {}): string {
  const pageSize = options.pageSize ?? 20;
  const maxPages = options.maxPages ?? 10;
  const extraKeys = [...new Set(rows.flatMap((row) => Object.keys(row.extra ?? {})))];
  const headers = ["#", "input", "pred", "label", ...extraKeys];
  const pages: string[] = [];
  for (let page = 0; page * pageSize < rows.length && page < maxPages; page++) {
    const slice = rows.slice(page * pageSize, (page + 1) * pageSize);
    const wrong = new Set<number>();
    const tableRows = slice.map((row, index) => {
      if (row.label !== null && JSON.stringify(row.pred) !== JSON.stringify(row.label)) wrong.add(index);
      return [row.index, row.input, row.pred, row.label, ...extraKeys.map((key) => row.extra?.[key])];
    });
    const first = slice[0].index + 1;
    const last = slice[slice.length - 1].index + 1;
    pages.push(`<details${page === 0 ? " open" : ""}><summary>rows ${first}–${last}</summary>${htmlTable(headers, tableRows, { highlightRows: wrong })}</details>`);
  }
  const total = options.total ?? rows.length;
  const shown = Math.min(rows.length, pageSize * maxPages);
  const more = total > shown ? `<p>${total - shown} more rows are stored${options.runRef ? `: <code>%track show ${escapeHtml(options.runRef)} --samples ${(options.firstIndex ?? 0) + shown}</code>` : ""}.</p>` : "";
  return `<div class="labnote-samples"><b>samples</b> (${total} rows, mismatches highlighted)${pages.join("")}${more}</div>`;
}

export function samplesText(rows: readonly SampleRow[], limit = 10): string {
  return textTable(["#", "input", "pred", "label"], rows.slice(0, limit).map((row) => [row.index, row.input, row.pred, row.label])) + (rows.length > limit ? `\n… ${rows.length - limit} more rows` : "");
}
