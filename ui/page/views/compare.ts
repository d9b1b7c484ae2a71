// /compare?ids=A,B&diff=1 — params, metrics, environment and data side by side (one column per run), the code
// diffs against the first run, and the overlaid chart the server built with widgets/charts.
import type { CompareResponse } from "../../api.js";
import { apiGet } from "../api-client.js";
import { drawChart } from "../charts.js";
import { clear, formatValue, h, put, section } from "../dom.js";
import type { ViewContext } from "../router.js";

const SECTIONS: CompareResponse["rows"][number]["section"][] = ["params", "metrics", "env", "data"];

export async function compareView(context: ViewContext): Promise<void> {
  const { root, params } = context;
  const ids = (params.get("ids") ?? "").split(",").filter(Boolean);
  if (ids.length < 2) {
    root.append(h("p", { class: "empty" }, "Pick two or more runs in the ", h("a", { href: "/runs" }, "runs table"), " and press Compare."));
    return;
  }
  let differencesOnly = params.get("diff") === "1";
  const compare = await apiGet<CompareResponse>("/api/compare", { ids: ids.join(",") });
  if (context.left()) return;

  const tables = h("div", {});
  const chartHolder = h("div", { class: "chart compare-chart" });
  const toggle = h("input", {
    type: "checkbox",
    name: "diff",
    checked: differencesOnly,
    onchange: (event) => {
      differencesOnly = (event.target as HTMLInputElement).checked;
      context.setParams({ diff: differencesOnly ? "1" : null });
      renderTables();
    },
  });
  put(
    root,
    h("h1", {}, "Compare ", h("span", { class: "muted" }, `${compare.runs.length} runs`)),
    h("div", { class: "toolbar" }, h("label", {}, toggle, "differences only"), h("a", { class: "button", href: `/curves?runs=${ids.map(encodeURIComponent).join(",")}` }, "Open curves")),
    tables,
    compare.chart ? section("Curves", chartHolder) : null,
    compare.codeDiffs.length ? section("Code", compare.codeDiffs.map((entry) => h("div", {}, h("h3", {}, `${runName(compare, entry.runId)} against ${compare.runs[0]?.name ?? "the first run"}`), diffBlock(entry.diff)))) : null,
  );

  function renderTables(): void {
    clear(tables);
    for (const name of SECTIONS) {
      const rows = compare.rows.filter((row) => row.section === name && (!differencesOnly || row.different));
      tables.append(
        section(
          name === "env" ? "Environment" : name[0].toUpperCase() + name.slice(1),
          rows.length === 0
            ? h("p", { class: "muted" }, differencesOnly ? "no differences" : "nothing recorded")
            : h(
                "table",
                { class: "grid compare-table" },
                h("thead", {}, h("tr", {}, h("th", {}, "key"), compare.runs.map((run) => h("th", {}, h("a", { href: `/run/${encodeURIComponent(run.id)}` }, run.name || run.id.slice(-8)))))),
                h("tbody", {}, rows.map((row) => h("tr", { class: row.different ? "different" : null }, h("th", {}, row.key), row.values.map((value) => h("td", {}, formatValue(value)))))),
              ),
        ),
      );
    }
  }
  renderTables();
  if (compare.chart) await drawChart(chartHolder, compare.chart);
}

function runName(compare: CompareResponse, id: string): string {
  return compare.runs.find((run) => run.id === id)?.name ?? id.slice(-8);
}

/** A unified diff with added and removed lines coloured. */
export function diffBlock(diff: string): HTMLElement {
  if (!diff.trim()) return h("p", { class: "muted" }, "identical");
  return h(
    "pre",
    { class: "diff" },
    diff.split("\n").map((line) => h("span", { class: line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : line.startsWith("@@") ? "hunk" : null }, line || " ")),
  );
}
