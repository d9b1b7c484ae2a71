// /runs?where=&sort=&cols=&pin=&group=&gm= — the runs table with the query box, column chooser, group-by, and the
// selection bar (Chart, Compare, Delete). Everything but the selection lives in the URL.
import type { GroupsResponse, RunsResponse } from "../../api.js";
import { apiDelete, apiGet, ApiRequestError } from "../api-client.js";
import { clear, formatNumber, formatValue, h, put } from "../dom.js";
import type { ViewContext } from "../router.js";
import { createRunsTable, type RunsTable } from "./runs-table.js";
import { allColumns, defaultColumnIds, visibleColumns, type Column } from "./runs-columns.js";

const NEW_RUNS_POLL_MS = 3000;

const list = (value: string | null): string[] => (value ? value.split(",").filter(Boolean) : []);

export async function runsView(context: ViewContext): Promise<void> {
  const { root, params } = context;
  const state = {
    where: params.get("where") ?? "",
    sort: params.get("sort") ?? "-startedAt",
    cols: list(params.get("cols")),
    pin: list(params.get("pin")),
    group: params.get("group") ?? "",
    groupMetric: params.get("gm") ?? "",
  };
  const selected = new Set<string>();
  let table: RunsTable | null = null;
  context.onLeave(() => table?.destroy());

  const queryInput = h("input", {
    type: "search",
    class: "query",
    name: "where",
    value: state.where,
    placeholder: 'e.g.  params.lr < 0.01 and (tags ~ /mlp/ or name in ("a", "b")) and not status == "failed"',
    spellcheck: "false",
    "aria-label": "query",
  });
  const queryError = h("div", { class: "query-error", role: "alert", hidden: true });
  const form = h(
    "form",
    { class: "query-bar", onsubmit: (event) => (event.preventDefault(), applyQuery()) },
    queryInput,
    h("button", { type: "submit" }, "Filter"),
  );
  const toolbar = h("div", { class: "toolbar" });
  const selectionBar = h("div", { class: "selection-bar" });
  const groupsPanel = h("div", { class: "groups" });
  const tableHolder = h("div", { class: "table-holder" });
  const footer = h("div", { class: "footer muted" });
  const changes = h("div", { class: "changes", role: "status", hidden: true });
  root.append(h("div", { class: "runs-view" }, form, queryError, toolbar, selectionBar, changes, groupsPanel, tableHolder, footer));

  function applyQuery(): void {
    state.where = queryInput.value.trim();
    context.setParams({ where: state.where || null });
    void load();
  }

  function showQueryError(error: ApiRequestError): void {
    queryError.hidden = false;
    clear(queryError);
    queryError.append(h("strong", {}, "Query error: "), error.message);
    if (error.position !== undefined) {
      const position = Math.max(1, Math.min(error.position, state.where.length + 1));
      queryError.append(
        h("pre", { class: "caret" }, state.where, "\n", " ".repeat(position - 1), "^", ` position ${error.position}`),
      );
      queryInput.focus();
      queryInput.setSelectionRange(position - 1, Math.min(state.where.length, position));
    }
    queryInput.classList.add("invalid");
    queryInput.setAttribute("aria-invalid", "true");
  }

  function renderSelectionBar(): void {
    clear(selectionBar);
    const ids = [...selected];
    const count = ids.length;
    put(
      selectionBar,
      h("span", { class: "muted" }, count === 0 ? "Select runs to chart or compare them." : `${count} selected`),
      h("button", { type: "button", disabled: count === 0, onclick: () => context.navigate(`/curves?runs=${ids.map(encodeURIComponent).join(",")}`) }, `Chart${count ? ` (${count})` : ""}`),
      h("button", { type: "button", disabled: count < 2, title: "pick two or more runs", onclick: () => context.navigate(`/compare?ids=${ids.map(encodeURIComponent).join(",")}`) }, "Compare"),
      context.info.allowDelete
        ? h("button", { type: "button", class: "danger", disabled: count === 0, onclick: () => void deleteSelected(ids) }, `Delete${count ? ` (${count})` : ""}`)
        : null,
      count > 0 ? h("button", { type: "button", class: "link", onclick: () => (selected.clear(), renderSelectionBar(), void load()) }, "clear") : null,
    );
  }

  async function deleteSelected(ids: string[]): Promise<void> {
    if (!window.confirm(`Delete ${ids.length} run(s)? Their metrics, samples and artifacts records go too.`)) return;
    for (const id of ids) await apiDelete(`/api/runs/${encodeURIComponent(id)}`);
    selected.clear();
    renderSelectionBar();
    await load();
  }

  function renderToolbar(columns: Column[], shownIds: string[], pinnedIds: string[], names: RunsResponse["columns"]): void {
    clear(toolbar);
    const setColumns = (shown: string[], pinned: string[]): void => {
      state.cols = shown;
      state.pin = pinned;
      context.setParams({ cols: shown.join(","), pin: pinned.length ? pinned.join(",") : null });
      void load();
    };
    const chooser = h(
      "details",
      { class: "columns-chooser" },
      h("summary", {}, "Columns"),
      h(
        "div",
        { class: "chooser-list" },
        h("div", { class: "chooser-actions" }, h("button", { type: "button", class: "link", onclick: () => setColumns(defaultColumnIds(names), []) }, "reset")),
        columns.map((column) =>
          h(
            "label",
            { class: "chooser-item" },
            h("input", {
              type: "checkbox",
              name: `show:${column.id}`,
              checked: shownIds.includes(column.id),
              onchange: (event) => {
                const show = (event.target as HTMLInputElement).checked;
                setColumns(show ? [...shownIds, column.id] : shownIds.filter((id) => id !== column.id), show ? pinnedIds : pinnedIds.filter((id) => id !== column.id));
              },
            }),
            column.label,
            h(
              "button",
              {
                type: "button",
                class: `pin${pinnedIds.includes(column.id) ? " on" : ""}`,
                title: pinnedIds.includes(column.id) ? "unpin" : "pin to the left",
                "data-pin": column.id,
                onclick: (event) => {
                  event.preventDefault();
                  const pinned = pinnedIds.includes(column.id) ? pinnedIds.filter((id) => id !== column.id) : [...pinnedIds, column.id];
                  setColumns(shownIds.includes(column.id) ? shownIds : [...shownIds, column.id], pinned);
                },
              },
              "📌",
            ),
          ),
        ),
      ),
    );
    const groupOptions = ["", "tags", ...names.params.map((name) => `params.${name}`)];
    const groupSelect = h(
      "select",
      { name: "group", "aria-label": "group by", onchange: (event) => ((state.group = (event.target as HTMLSelectElement).value), context.setParams({ group: state.group || null }), void loadGroups(names)) },
      groupOptions.map((option) => h("option", { value: option, selected: option === state.group }, option ? `group by ${option}` : "no grouping")),
    );
    const metricSelect = h(
      "select",
      { name: "gm", "aria-label": "group metric", onchange: (event) => ((state.groupMetric = (event.target as HTMLSelectElement).value), context.setParams({ gm: state.groupMetric || null }), void loadGroups(names)) },
      names.metrics.map((metric) => h("option", { value: metric, selected: metric === state.groupMetric }, metric)),
    );
    put(toolbar, chooser, groupSelect, state.group && names.metrics.length ? metricSelect : null);
  }

  async function loadGroups(names: RunsResponse["columns"]): Promise<void> {
    clear(groupsPanel);
    renderToolbar(allColumns(names), currentShown(names), state.pin, names);
    if (!state.group) return;
    const metric = state.groupMetric || names.metrics[0] || "";
    try {
      const groups = await apiGet<GroupsResponse>("/api/runs/groups", { where: state.where, by: state.group, metric });
      if (context.left()) return;
      groupsPanel.append(
        h(
          "table",
          { class: "grid groups-table" },
          h("thead", {}, h("tr", {}, h("th", {}, groups.by), h("th", { class: "num" }, "runs"), h("th", { class: "num" }, `${groups.metric} mean`), h("th", { class: "num" }, "min"), h("th", { class: "num" }, "max"))),
          h(
            "tbody",
            {},
            groups.groups.map((group) =>
              h("tr", {}, h("td", {}, formatValue(group.value)), h("td", { class: "num" }, group.count), h("td", { class: "num" }, formatNumber(group.mean)), h("td", { class: "num" }, formatNumber(group.min)), h("td", { class: "num" }, formatNumber(group.max))),
            ),
          ),
        ),
      );
    } catch (error) {
      groupsPanel.append(h("p", { class: "error" }, error instanceof Error ? error.message : String(error)));
    }
  }

  function currentShown(names: RunsResponse["columns"]): string[] {
    return state.cols.length ? state.cols : defaultColumnIds(names);
  }

  let loadGeneration = 0;
  async function load(): Promise<void> {
    const generation = ++loadGeneration;
    queryError.hidden = true;
    queryInput.classList.remove("invalid");
    queryInput.removeAttribute("aria-invalid");
    let first: RunsResponse;
    try {
      first = await apiGet<RunsResponse>("/api/runs", { where: state.where, sort: state.sort, limit: 100, offset: 0 });
    } catch (error) {
      if (generation !== loadGeneration || context.left()) return;
      table?.destroy();
      table = null;
      clear(tableHolder);
      if (error instanceof ApiRequestError && error.status === 400) showQueryError(error);
      else tableHolder.append(h("p", { class: "error" }, error instanceof Error ? error.message : String(error)));
      footer.textContent = "";
      return;
    }
    if (generation !== loadGeneration || context.left()) return;
    const names = first.columns;
    const shownIds = currentShown(names);
    const { columns, pinnedCount } = visibleColumns(allColumns(names), shownIds, state.pin);
    renderToolbar(allColumns(names), shownIds, state.pin, names);
    table?.destroy();
    clear(tableHolder);
    if (first.total === 0) {
      tableHolder.append(h("p", { class: "empty" }, state.where ? "No run matches this query." : "No runs yet: run a %%track cell in a notebook, then reload."));
    } else {
      table = createRunsTable({
        where: state.where,
        sort: state.sort,
        columns,
        pinnedCount,
        total: first.total,
        firstPage: first.runs,
        selected,
        onSelectionChange: renderSelectionBar,
        onSort: (column) => {
          state.sort = state.sort === column.sortKey ? `-${column.sortKey}` : column.sortKey!;
          context.setParams({ sort: state.sort });
          void load();
        },
        onServerTime: (ms) => showFooter(first.total, ms),
        onError: (error) => (footer.textContent = error instanceof Error ? error.message : String(error)),
      });
      tableHolder.append(table.element);
    }
    showFooter(first.total, first.elapsedMs);
    shownTotal = first.total;
    changes.hidden = true;
    if (state.group) await loadGroups(names);
  }

  // Kernels keep writing while the table is open: every few seconds ask how many runs match now, and offer to show
  // the new ones (the rows in view are not reshuffled under the user's pointer).
  let shownTotal: number | null = null;
  const watchTimer = window.setInterval(() => void checkForNewRuns(), NEW_RUNS_POLL_MS);
  context.onLeave(() => window.clearInterval(watchTimer));
  async function checkForNewRuns(): Promise<void> {
    if (shownTotal === null || document.hidden) return;
    try {
      const now = await apiGet<RunsResponse>("/api/runs", { where: state.where, sort: state.sort, limit: 0 });
      if (context.left() || shownTotal === null || now.total === shownTotal) return;
      const difference = now.total - shownTotal;
      clear(changes);
      put(
        changes,
        difference > 0 ? `${difference} new run${difference === 1 ? "" : "s"} since this table was loaded. ` : `${-difference} run${difference === -1 ? "" : "s"} deleted since this table was loaded. `,
        h("button", { type: "button", class: "link", onclick: () => void load() }, "Show"),
      );
      changes.hidden = false;
    } catch {
      // the server may be restarting; the next tick asks again
    }
  }

  function showFooter(total: number, ms: number): void {
    footer.textContent = `${total.toLocaleString("en-US")} run${total === 1 ? "" : "s"} · last page served in ${ms.toFixed(1)} ms`;
    footer.dataset.total = String(total);
  }

  renderSelectionBar();
  await load();
}
