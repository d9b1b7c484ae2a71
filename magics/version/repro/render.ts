// Text and HTML tables of a reproduction (the data itself goes out as application/json).
import type { ReproResult } from "./run.js";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const number = (value: number): string => (value === 0 ? "0" : Number.isFinite(value) ? value.toPrecision(3) : "—");

export function renderReproText(result: ReproResult): string {
  const lines = [`repro of ${result.version.slice(0, 10)} "${result.message}"${result.code === "current" ? " with the code as it is now" : ""}: ${result.verdict.toUpperCase()} (tolerance ${result.tolerance}, ${(result.durationMs / 1000).toFixed(1)} s)`];
  if (result.firstDifference) lines.push(`first difference: ${result.firstDifference.description}`);
  lines.push("cells:");
  for (const cell of result.cells) lines.push(`  ${String(cell.cell).padStart(3)} ${cell.verdict.padEnd(16)} ${cell.firstLine}${cell.difference && cell.verdict !== "identical" ? `\n        ${cell.difference}` : ""}`);
  if (result.runs.length > 0) lines.push("runs:");
  for (const run of result.runs) {
    const worst = run.curves.reduce((max, curve) => Math.max(max, Number.isFinite(curve.maxAbs) ? curve.maxAbs : 0), 0);
    lines.push(`  ${run.name.padEnd(20)} ${run.verdict.padEnd(16)} largest curve difference ${number(worst)}${run.first ? ` — ${run.first}` : ""}${run.note ? ` (${run.note})` : ""}`);
  }
  const read = result.data.filter((entry) => entry.rerun !== null);
  if (result.data.length > 0) lines.push(`data: ${result.data.filter((entry) => entry.verdict === "differs").length} differ, ${read.length} read by the re-run, ${result.data.length} in all`);
  lines.push(result.environment.length === 0 ? "environment: same" : "environment:");
  for (const entry of result.environment) lines.push(`  ${entry.key}: ${JSON.stringify(entry.recorded)} then, ${JSON.stringify(entry.rerun)} now`);
  for (const note of result.nondeterminism) lines.push(`nondeterminism: ${note}`);
  return lines.join("\n");
}

export function renderReproHtml(result: ReproResult): string {
  const row = (cells: string[]) => `<tr>${cells.map((cell) => `<td>${cell}</td>`).join("")}</tr>`;
  const parts = [`<p><b>repro of <code>${result.version.slice(0, 10)}</code></b> “${escapeHtml(result.message)}”: <b>${result.verdict}</b> (tolerance ${result.tolerance})</p>`];
  if (result.firstDifference) parts.push(`<p>first difference: ${escapeHtml(result.firstDifference.description)}</p>`);
  parts.push(`<table><thead><tr><th>cell</th><th>code</th><th>verdict</th><th>largest abs</th><th>largest rel</th><th>difference</th></tr></thead><tbody>${result.cells
    .map((cell) => row([String(cell.cell), `<code>${escapeHtml(cell.firstLine)}</code>`, cell.verdict, number(cell.maxAbs), number(cell.maxRel), escapeHtml(cell.difference ?? "")]))
    .join("")}</tbody></table>`);
  if (result.runs.length > 0) {
    parts.push(`<table><thead><tr><th>run</th><th>verdict</th><th>metric</th><th>largest abs</th><th>largest rel</th><th>first step beyond tolerance</th></tr></thead><tbody>${result.runs
      .flatMap((run) => (run.curves.length === 0 ? [row([escapeHtml(run.name), run.verdict, "", "", "", escapeHtml(run.first ?? "")])] : run.curves.map((curve) => row([escapeHtml(run.name), curve.verdict, escapeHtml(curve.metric), number(curve.maxAbs), number(curve.maxRel), curve.firstStepBeyondTolerance === null ? "" : String(curve.firstStepBeyondTolerance)]))))
      .join("")}</tbody></table>`);
  }
  if (result.environment.length > 0) parts.push(`<p>environment: ${result.environment.map((entry) => `${escapeHtml(entry.key)} ${escapeHtml(JSON.stringify(entry.recorded))} → ${escapeHtml(JSON.stringify(entry.rerun))}`).join("; ")}</p>`);
  if (result.nondeterminism.length > 0) parts.push(`<ul>${result.nondeterminism.map((note) => `<li>${escapeHtml(note)}</li>`).join("")}</ul>`);
  return parts.join("\n");
}
