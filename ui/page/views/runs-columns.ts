// The runs table's columns: fixed ones (status, name, …), one per param, and final/min/max per metric. A column's
// id is what the URL's cols= and pin= list and what the server sorts by.
import type { RunRow } from "../../api.js";
import { formatDuration, formatNumber, formatTime, formatValue, h, type Child } from "../dom.js";

export interface Column {
  id: string;
  label: string;
  width: number;
  /** The server's sort key (null: not sortable). */
  sortKey: string | null;
  numeric?: boolean;
  cell(row: RunRow): Child;
}

const FIXED: Column[] = [
  { id: "status", label: "status", width: 86, sortKey: "status", cell: (row) => h("span", { class: `status status-${row.status}` }, row.status) },
  { id: "name", label: "name", width: 170, sortKey: "name", cell: (row) => h("a", { href: `/run/${encodeURIComponent(row.id)}`, class: "run-link", title: row.id }, row.name || row.id.slice(-8)) },
  { id: "tags", label: "tags", width: 130, sortKey: null, cell: (row) => row.tags.map((tag) => h("span", { class: "tag" }, tag)) },
  { id: "startedAt", label: "started", width: 150, sortKey: "startedAt", cell: (row) => formatTime(row.startedAt) },
  { id: "duration", label: "duration", width: 80, sortKey: "duration", numeric: true, cell: (row) => formatDuration(row.duration) },
  { id: "backend", label: "backend", width: 84, sortKey: "backend", cell: (row) => row.backend ?? "" },
  { id: "version", label: "version", width: 84, sortKey: "versionId", cell: (row) => (row.versionId ? h("code", { title: row.versionId }, row.versionId.slice(0, 8)) : "") },
  { id: "study", label: "study", width: 110, sortKey: "study", cell: (row) => (row.studyName ? h("a", { href: `/studies/${encodeURIComponent(row.studyName)}` }, `${row.studyName} #${row.trialNumber ?? "?"}`) : "") },
];

const DEFAULT_FIXED = ["status", "name", "tags", "duration"];
const DEFAULT_TRAILING = ["backend", "version"];

export function paramColumn(name: string): Column {
  return { id: `params.${name}`, label: name, width: 84, sortKey: `params.${name}`, numeric: true, cell: (row) => formatValue(row.params[name]) };
}

export type MetricStatistic = "last" | "min" | "max";

/** `val.acc` is the final value; `val.acc:min` and `val.acc:max` the extremes over the run. */
export function metricColumn(metric: string, statistic: MetricStatistic): Column {
  const id = statistic === "last" ? metric : `${metric}:${statistic}`;
  return {
    id,
    label: statistic === "last" ? metric : `${metric} ${statistic}`,
    width: 88,
    // The server sorts by final values only (the --where paths); min and max columns are not sortable.
    sortKey: statistic === "last" ? metric : null,
    numeric: true,
    cell: (row) => formatNumber(row.metrics[metric]?.[statistic] ?? null),
  };
}

/** Every column the chooser offers for these param and metric names. */
export function allColumns(names: { params: string[]; metrics: string[] }): Column[] {
  return [
    ...FIXED,
    ...names.params.map(paramColumn),
    ...names.metrics.flatMap((metric) => (["last", "min", "max"] as const).map((statistic) => metricColumn(metric, statistic))),
  ];
}

/** Shown columns when the URL names none: the fixed essentials, up to 6 params and 6 final metrics, backend, version. */
export function defaultColumnIds(names: { params: string[]; metrics: string[] }): string[] {
  // Logged split metrics (val.acc, train.loss) first, then %eval's (eval/accuracy), then summary numbers such as
  // wall_time_s; %eval's deltas against each baseline stay in the column chooser.
  const rank = (name: string): number => (name.includes(".") && !name.includes("/") ? 0 : name.startsWith("eval/") ? 1 : 2);
  const metrics = names.metrics.filter((name) => !name.startsWith("eval/delta/")).sort((a, b) => rank(a) - rank(b));
  return [...DEFAULT_FIXED, ...names.params.slice(0, 5).map((name) => `params.${name}`), ...metrics.slice(0, 5), ...DEFAULT_TRAILING];
}

/** Columns in display order: pinned first (sticky), then the rest as listed; unknown ids are kept as empty metric columns. */
export function visibleColumns(all: Column[], shownIds: string[], pinnedIds: string[]): { columns: Column[]; pinnedCount: number } {
  const byId = new Map(all.map((column) => [column.id, column]));
  const resolve = (id: string): Column => byId.get(id) ?? (id.startsWith("params.") ? paramColumn(id.slice(7)) : metricColumn(id.split(":")[0], (id.split(":")[1] as MetricStatistic) ?? "last"));
  const pinned = pinnedIds.map(resolve);
  const rest = shownIds.filter((id) => !pinnedIds.includes(id)).map(resolve);
  return { columns: [...pinned, ...rest], pinnedCount: pinned.length };
}
