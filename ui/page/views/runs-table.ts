// The virtualised runs table: only the rows in view (plus a margin) exist in the DOM, and rows are fetched from the
// server a page at a time as they scroll into view, so 100,000 runs cost what 40 do. Sorting is the server's.
import { Virtualizer, elementScroll, observeElementOffset, observeElementRect } from "@tanstack/virtual-core";
import type { RunRow, RunsResponse } from "../../api.js";
import { apiGet } from "../api-client.js";
import { clear, h } from "../dom.js";
import type { Column } from "./runs-columns.js";

const ROW_HEIGHT = 30;
const PAGE_SIZE = 100;
const SELECT_WIDTH = 34;

export interface RunsTableOptions {
  where: string;
  sort: string;
  columns: Column[];
  pinnedCount: number;
  total: number;
  firstPage: RunRow[];
  selected: Set<string>;
  onSelectionChange(): void;
  onSort(column: Column): void;
  onServerTime(ms: number): void;
  onError(error: unknown): void;
}

export interface RunsTable {
  element: HTMLElement;
  destroy(): void;
}

export function createRunsTable(options: RunsTableOptions): RunsTable {
  const pages = new Map<number, RunRow[]>([[0, options.firstPage]]);
  const loading = new Set<number>();
  let destroyed = false;
  // An empty last track takes any spare width so the rows span the table.
  const template = `${SELECT_WIDTH}px ${options.columns.map((column) => `${column.width}px`).join(" ")} minmax(0, 1fr)`;
  const totalWidth = SELECT_WIDTH + options.columns.reduce((sum, column) => sum + column.width, 0);

  // Sticky offsets of the pinned columns (the select box is always pinned).
  const stickyLeft: number[] = [];
  let offset = SELECT_WIDTH;
  options.columns.forEach((column, index) => {
    stickyLeft[index] = index < options.pinnedCount ? offset : -1;
    offset += column.width;
  });

  const [sortKey, descending] = options.sort.startsWith("-") ? [options.sort.slice(1), true] : [options.sort, false];
  const header = h(
    "div",
    { class: "thead tr", style: `grid-template-columns:${template};width:${totalWidth}px;min-width:100%`, role: "row" },
    h("div", { class: "th pinned", style: "left:0" }, h("input", { type: "checkbox", title: "select all loaded rows", "aria-label": "select all", onchange: (event) => selectAll((event.target as HTMLInputElement).checked) })),
    options.columns.map((column, index) =>
      h(
        "div",
        {
          class: `th${column.numeric ? " num" : ""}${stickyLeft[index] >= 0 ? " pinned" : ""}${column.sortKey ? " sortable" : ""}`,
          style: stickyLeft[index] >= 0 ? `left:${stickyLeft[index]}px` : null,
          "data-column": column.id,
          title: column.sortKey ? `sort by ${column.label}` : column.label,
          onclick: () => column.sortKey && options.onSort(column),
        },
        h("span", { class: "label" }, column.label),
        column.sortKey === sortKey ? h("span", { class: "sort-mark" }, descending ? " ▼" : " ▲") : null,
      ),
    ),
  );
  const body = h("div", { class: "tbody", style: `width:${totalWidth}px;min-width:100%` });
  const scroller = h("div", { class: "table-scroll", role: "table", "aria-rowcount": options.total }, header, body);

  function rowAt(index: number): RunRow | undefined {
    return pages.get(Math.floor(index / PAGE_SIZE))?.[index % PAGE_SIZE];
  }

  function selectAll(checked: boolean): void {
    for (const rows of pages.values()) for (const row of rows) (checked ? options.selected.add(row.id) : options.selected.delete(row.id));
    options.onSelectionChange();
    render();
  }

  async function loadPage(page: number): Promise<void> {
    if (pages.has(page) || loading.has(page)) return;
    loading.add(page);
    try {
      const response = await apiGet<RunsResponse>("/api/runs", { where: options.where, sort: options.sort, limit: PAGE_SIZE, offset: page * PAGE_SIZE });
      if (destroyed) return;
      pages.set(page, response.runs);
      options.onServerTime(response.elapsedMs);
      render();
    } catch (error) {
      if (!destroyed) options.onError(error);
    } finally {
      loading.delete(page);
    }
  }

  function renderRow(index: number, start: number): HTMLElement {
    const row = rowAt(index);
    const element = h("div", { class: `tr${index % 2 ? " odd" : ""}`, role: "row", style: `grid-template-columns:${template};transform:translateY(${start}px)`, "data-index": index });
    if (!row) {
      element.classList.add("placeholder");
      element.append(h("div", { class: "td pinned", style: "left:0" }), h("div", { class: "td muted" }, "loading…"));
      return element;
    }
    element.dataset.runId = row.id;
    if (options.selected.has(row.id)) element.classList.add("selected");
    const checkbox = h("input", {
      type: "checkbox",
      "aria-label": `select ${row.name}`,
      checked: options.selected.has(row.id),
      onchange: (event) => {
        if ((event.target as HTMLInputElement).checked) options.selected.add(row.id);
        else options.selected.delete(row.id);
        element.classList.toggle("selected", options.selected.has(row.id));
        options.onSelectionChange();
      },
    });
    element.append(h("div", { class: "td pinned", style: "left:0" }, checkbox));
    options.columns.forEach((column, columnIndex) => {
      const pinned = stickyLeft[columnIndex] >= 0;
      element.append(h("div", { class: `td${column.numeric ? " num" : ""}${pinned ? " pinned" : ""}`, style: pinned ? `left:${stickyLeft[columnIndex]}px` : null, "data-column": column.id }, column.cell(row)));
    });
    return element;
  }

  const virtualizer = new Virtualizer<HTMLDivElement, HTMLDivElement>({
    count: options.total,
    getScrollElement: () => scroller,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    scrollToFn: elementScroll,
    observeElementRect,
    observeElementOffset,
    onChange: () => render(),
  });

  let frame = 0;
  function render(): void {
    if (frame || destroyed) return;
    frame = requestAnimationFrame(() => {
      frame = 0;
      if (destroyed) return;
      const items = virtualizer.getVirtualItems();
      body.style.height = `${virtualizer.getTotalSize()}px`;
      clear(body);
      for (const item of items) body.append(renderRow(item.index, item.start));
      const pagesInView = new Set(items.map((item) => Math.floor(item.index / PAGE_SIZE)));
      for (const page of pagesInView) void loadPage(page);
    });
  }

  const unmount = virtualizer._didMount();
  virtualizer._willUpdate();
  render();
  return {
    element: scroller,
    destroy() {
      destroyed = true;
      cancelAnimationFrame(frame);
      unmount();
    },
  };
}
