// Text and HTML renderings of an EvalReport: the metrics table with baselines and deltas, slices, tests, warnings.
import { HIGHER_IS_BETTER } from "./metrics/index.js";
import type { EvalReport } from "./report.js";

const HEADLINE_METRICS = ["accuracy", "precision", "recall", "f1", "f1Macro", "f1Micro", "rocAuc", "prAuc", "logLoss", "brier", "ece", "mce", "mae", "rmse", "r2", "perplexity", "crossEntropy"];

function format(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "—";
  if (Number.isInteger(value)) return String(value);
  return Math.abs(value) >= 1000 ? value.toFixed(1) : value.toFixed(4);
}

function signed(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "";
  return value > 0 ? `+${format(value)}` : format(value);
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

interface Table {
  title: string;
  header: string[];
  rows: string[][];
}

function tables(report: EvalReport): Table[] {
  const metricNames = HEADLINE_METRICS.filter((name) => report.metrics[name] !== undefined);
  const result: Table[] = [
    {
      title: `Metrics (${report.task}, n=${report.count})${report.baselines.length ? " — delta = model − baseline" : ""}`,
      header: ["metric", "model", ...report.baselines.flatMap((baseline) => [baseline.name, "Δ"])],
      rows: metricNames.map((name) => [
        `${name} ${HIGHER_IS_BETTER.has(name) ? "↑" : "↓"}`,
        format(report.metrics[name]),
        ...report.baselines.flatMap((baseline) => [format(baseline.metrics[name]), signed(baseline.delta[name])]),
      ]),
    },
  ];
  if (report.perClass && report.perClass.length > 0) {
    result.push({
      title: "Per class",
      header: ["class", "precision", "recall", "f1", "support"],
      rows: report.perClass.map((row) => [String(row.label), format(row.precision), format(row.recall), format(row.f1), format(row.support)]),
    });
  }
  if (report.slices.length > 0) {
    result.push({
      title: `Slices (${report.slices[0]!.metric}, ${report.slices[0]!.interval.method} ${Math.round(report.slices[0]!.interval.level * 100)}% interval)`,
      header: ["slice", "n", report.slices[0]!.metric, "interval", "rest", "gap", "p", "worst"],
      rows: report.slices.map((slice) => [
        slice.name,
        String(slice.count),
        format(slice.value),
        `[${format(slice.interval.lower)}, ${format(slice.interval.upper)}]`,
        format(slice.rest.value),
        signed(slice.gap),
        Number.isNaN(slice.pValue) ? "—" : slice.pValue.toExponential(2),
        slice.flagged ? "⚠" : "",
      ]),
    });
  }
  if (report.tests.length > 0) {
    result.push({
      title: "Behavioural tests",
      header: ["test", "kind", "passed", "pass rate", "needs", "result", "first failure"],
      rows: report.tests.map((test) => [
        test.name,
        test.kind.toUpperCase(),
        `${test.passed}/${test.total}`,
        format(test.passRate),
        test.threshold,
        test.pass ? "PASS" : "FAIL",
        test.failures[0] ? JSON.stringify(test.failures[0]).slice(0, 120) : "",
      ]),
    });
  }
  return result;
}

function textTable(table: Table): string {
  const widths = table.header.map((cell, column) => Math.max(cell.length, ...table.rows.map((row) => (row[column] ?? "").length)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join("  ").trimEnd();
  return [table.title, line(table.header), widths.map((width) => "-".repeat(width)).join("  "), ...table.rows.map(line)].join("\n");
}

export function reportText(report: EvalReport): string {
  const parts = tables(report).map(textTable);
  if (report.calibration) {
    const { uniform, quantile } = report.calibration;
    parts.push(`Calibration (top-label, ${uniform.bins.length} bins): ECE ${format(uniform.ece)} / MCE ${format(uniform.mce)} uniform; ECE ${format(quantile.ece)} / MCE ${format(quantile.mce)} quantile`);
  }
  if (report.warnings.length > 0) parts.push(report.warnings.map((warning) => `⚠ ${warning}`).join("\n"));
  return parts.join("\n\n");
}

export function reportHtml(report: EvalReport): string {
  const html = tables(report).map((table) => {
    const head = `<tr>${table.header.map((cell) => `<th>${escape(cell)}</th>`).join("")}</tr>`;
    const body = table.rows.map((row) => `<tr>${row.map((cell) => `<td>${escape(cell)}</td>`).join("")}</tr>`).join("");
    return `<h4>${escape(table.title)}</h4><table class="labnote-eval">${head}${body}</table>`;
  });
  if (report.calibration) {
    const { uniform, quantile } = report.calibration;
    html.push(`<p>Calibration (top-label, ${uniform.bins.length} bins): ECE ${format(uniform.ece)} / MCE ${format(uniform.mce)} uniform; ECE ${format(quantile.ece)} / MCE ${format(quantile.mce)} quantile</p>`);
  }
  if (report.warnings.length > 0) html.push(`<ul class="labnote-warnings">${report.warnings.map((warning) => `<li>⚠ ${escape(warning)}</li>`).join("")}</ul>`);
  return `<div class="labnote-eval-report">${html.join("")}</div>`;
}
