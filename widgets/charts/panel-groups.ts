// Which panels a run chart shows, in which group and order, so a run that logs dozens of series stays readable:
// groups (train / val, gradients, weights, system), the key metrics first, large groups collapsed to their first
// panels with the rest named, per-layer series hidden until asked for with `--panels` (or `panels` in ChartOptions).

export type PanelGroupName = "metrics" | "gradients" | "weights" | "system";

export const GROUP_ORDER: readonly PanelGroupName[] = ["metrics", "gradients", "weights", "system"];

export const GROUP_TITLES: Record<PanelGroupName, string> = {
  metrics: "train / val",
  gradients: "gradients and learning rate",
  weights: "weights and units",
  system: "system",
};

/** Splits whose series are one per layer: hidden unless `panels` asks for them (stored and queryable still). */
export const PER_LAYER_SPLITS: readonly string[] = ["gradients", "weights", "dead_units"];

/** Global series logged under a per-layer split: shown by default. */
const GLOBAL_KEYS = new Set(["global", "weight_norm"]);

export interface PanelSeriesId {
  key: string;
  split: string;
}

export function groupOf(series: PanelSeriesId, systemSplit = "system"): PanelGroupName {
  if (series.split === systemSplit) return "system";
  if (series.split === "gradients" || /^(grad_norm|learning_rate$|lr$)/.test(series.key)) return "gradients";
  if (series.split === "weights" || series.split === "dead_units") return "weights";
  return "metrics";
}

export function isPerLayer(series: PanelSeriesId): boolean {
  return PER_LAYER_SPLITS.includes(series.split) && !GLOBAL_KEYS.has(series.key);
}

/** Loss first, then the usual quality metrics, then the rest in the order they were first logged. */
function keyRank(key: string): number {
  if (key === "loss") return 0;
  if (/loss/i.test(key)) return 1;
  if (/^(acc|accuracy|f1|auc|roc_auc|precision|recall|perplexity|mae|rmse|r2|error|bleu|reward)/i.test(key)) return 2;
  return 3;
}

function globToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
}

/**
 * The index of the first `--panels` pattern a series matches, or -1. A pattern names a metric (`loss`), a split and
 * metric (`val.acc`), a split (`val`, `gradients` — per-layer splits included), or a group (`system`); `*` is a wildcard.
 */
export function matchPanelPattern(series: PanelSeriesId, patterns: readonly string[], systemSplit = "system"): number {
  const names = [series.key, series.split ? `${series.split}.${series.key}` : series.key, series.split, groupOf(series, systemSplit)];
  return patterns.findIndex((pattern) => {
    const expression = globToRegExp(pattern.trim());
    return names.some((name) => name !== "" && expression.test(name));
  });
}

export interface PanelPlan<T extends PanelSeriesId> {
  group: PanelGroupName;
  /** Series of the panels shown, key metrics first. */
  series: T[];
  /** Metric names of panels left out of a collapsed group. */
  collapsed: string[];
}

export interface PanelPlanOptions {
  /** `--panels` patterns: only matching series are shown, in pattern order, nothing collapsed. */
  panels?: readonly string[];
  /** Panels a group shows before it collapses the rest (default 6). */
  maxPanelsPerGroup?: number;
  systemSplit?: string;
  /** Splits never shown unless `panels` names them. */
  hiddenSplits?: readonly string[];
}

/** Plans the groups of a run chart; a panel is one metric name, whatever its splits. */
export function planPanels<T extends PanelSeriesId>(series: readonly T[], options: PanelPlanOptions = {}): PanelPlan<T>[] {
  const systemSplit = options.systemSplit ?? "system";
  const patterns = options.panels?.filter((pattern) => pattern.trim() !== "");
  const chosen = patterns && patterns.length > 0 ? patterns : undefined;
  const limit = options.maxPanelsPerGroup ?? 6;
  const plans: PanelPlan<T>[] = [];
  for (const group of GROUP_ORDER) {
    // Panels of the group, by metric name, in first-logged order; each remembers its rank.
    const panels = new Map<string, { series: T[]; rank: number; order: number }>();
    for (const one of series) {
      if (groupOf(one, systemSplit) !== group) continue;
      let rank: number;
      if (chosen) {
        rank = matchPanelPattern(one, chosen, systemSplit);
        if (rank < 0) continue;
      } else {
        if (isPerLayer(one) || options.hiddenSplits?.includes(one.split)) continue;
        rank = keyRank(one.key);
      }
      const name = panelName(one);
      const panel = panels.get(name);
      if (panel) {
        panel.series.push(one);
        panel.rank = Math.min(panel.rank, rank);
      } else panels.set(name, { series: [one], rank, order: panels.size });
    }
    if (panels.size === 0) continue;
    const ordered = [...panels.entries()].sort(([, a], [, b]) => a.rank - b.rank || a.order - b.order);
    const shown = chosen ? ordered : ordered.slice(0, limit);
    plans.push({ group, series: shown.flatMap(([, panel]) => panel.series), collapsed: chosen ? [] : ordered.slice(limit).map(([name]) => name) });
  }
  return plans;
}

/** A panel's name: the metric, or split/layer for per-layer series so layers get their own panels. */
export function panelName(series: PanelSeriesId): string {
  return isPerLayer(series) ? `${series.split}.${series.key}` : series.key;
}
