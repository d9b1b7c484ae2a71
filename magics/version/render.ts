// Text and HTML renderings of %version results (the data itself goes out as application/json).
import type { DeclaredData } from "./api.js";
import { formatBytes } from "./diff.js";
import type { SyncResult } from "./remote.js";
import type { CheckoutResult, ForgetResult, ReproReport } from "./restore.js";
import type { VersionRecord, VersionSummary } from "./versions.js";

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function renderDeclared(declared: DeclaredData): string {
  const item = declared.manifest.items[0]!;
  const kind = item.kind === "dir" ? `directory, ${item.files} file(s)` : "file";
  return `declared ${declared.test ? "TEST data" : "data"} ${declared.path} (${kind}, ${formatBytes(item.size)}) sha256 ${item.sha256.slice(0, 16)}…`;
}

export function renderCommit(version: VersionRecord): string {
  const bytes = version.data.files.reduce((sum, file) => sum + file.size, 0);
  return [
    `version ${version.id.slice(0, 10)} "${version.message}"`,
    `  data: ${version.data.files.length} file(s), ${formatBytes(bytes)}`,
    `  runs: ${version.runs.length === 0 ? "none" : version.runs.map((run) => `${run.name} (${run.id.slice(0, 8)})`).join(", ")}`,
    `  env: node ${version.env.node}, ${version.env.os}, tfjs ${version.env.tfjsBackend ?? "not loaded"}, seed ${version.env.seed ?? "none"}`,
  ].join("\n");
}

export function renderLog(versions: VersionSummary[]): { text: string; html: string } {
  if (versions.length === 0) return { text: 'no versions yet: %version commit -m "message" makes one', html: "<p>no versions yet</p>" };
  const rows = versions.map((version, index) => ({ name: index === 0 ? "@" : `@~${index}`, ...version }));
  // After a pull of a diverged history both lines are listed; versions that came from the remote say so.
  const lineOf = (row: VersionSummary) => (row.line && row.line !== "local" ? `  [from ${row.line}]` : "");
  const text = rows.map((row) => `${row.id.slice(0, 10)}  ${row.name.padEnd(4)} ${row.createdAt.slice(0, 19).replace("T", " ")}  ${String(row.files).padStart(4)} file(s) ${formatBytes(row.bytes).padStart(10)}  ${row.runs.length} run(s)  ${row.message}${lineOf(row)}`).join("\n");
  const html = `<table><thead><tr><th>id</th><th>name</th><th>created</th><th>files</th><th>bytes</th><th>runs</th><th>message</th></tr></thead><tbody>${rows
    .map((row) => `<tr><td><code>${row.id.slice(0, 10)}</code></td><td>${row.name}</td><td>${row.createdAt.slice(0, 19).replace("T", " ")}</td><td>${row.files}</td><td>${formatBytes(row.bytes)}</td><td>${row.runs.length}</td><td>${escapeHtml(row.message)}${escapeHtml(lineOf(row))}</td></tr>`)
    .join("")}</tbody></table>`;
  return { text, html };
}

export function renderCheckout(result: CheckoutResult): string {
  const lines = [`checked out ${result.version.slice(0, 10)} into ${result.notebook}`];
  const { restored, unchanged, missing, refused } = result.data;
  if (restored.length + unchanged.length + missing.length + refused.length > 0) lines.push(`data: ${restored.length} restored, ${unchanged.length} already identical, ${missing.length} missing, ${refused.length} refused`);
  for (const entry of [...missing, ...refused]) lines.push(`  ${entry.message}`);
  return lines.join("\n");
}

export function renderSync(verb: "push" | "pull", result: SyncResult): string {
  const lines = [`${verb} ${result.remote}`];
  for (const ref of result.refs) lines.push(`  ${ref.ref}: ${ref.status}`);
  if (result.data) lines.push(`  data cache ${result.data.remote}: ${result.data.objects} object(s) copied, ${result.data.tombstonesApplied} forgotten`);
  if (result.conflicts.length > 0) lines.push("data conflicts (the two lines give these paths different bytes; settle each with %version resolve PATH --take ours|theirs):");
  for (const conflict of result.conflicts) lines.push(`  ${conflict.path}: ours ${conflict.ours.sha256.slice(0, 12)}… (version ${conflict.ours.version.slice(0, 10)}), theirs ${conflict.theirs.sha256.slice(0, 12)}… (version ${conflict.theirs.version.slice(0, 10)})`);
  return lines.join("\n");
}

export function renderRepro(report: ReproReport): string {
  const lines = [`what differs now from ${report.version.slice(0, 10)}:`];
  lines.push(report.code.length === 0 ? "code: same" : `code: ${report.code.length} cell(s) differ`);
  for (const cell of report.code) lines.push(cell.diff);
  const { added, removed, modified, problems } = report.data;
  lines.push(removed.length + modified.length + problems.length === 0 ? "data: same" : "data:");
  for (const entry of modified) lines.push(`  ~ ${entry.path} changed (${formatBytes(entry.before.size)} → ${formatBytes(entry.after.size)})`);
  for (const entry of removed) lines.push(`  - ${entry.path} is gone`);
  for (const entry of added) lines.push(`  + ${entry.path}`);
  for (const problem of problems) lines.push(`  ! ${problem.message}`);
  lines.push(report.env.length === 0 ? "environment: same" : "environment:");
  for (const entry of report.env) lines.push(`  ${entry.key}: ${JSON.stringify(entry.before)} → ${JSON.stringify(entry.after)}`);
  lines.push(report.seed.message ? `seed: ${report.seed.message}` : `seed: same (${report.seed.recorded ?? "none"})`);
  for (const note of report.nondeterminism) lines.push(`nondeterminism: ${note}`);
  return lines.join("\n");
}

export function renderForget(result: ForgetResult): string {
  return [`forgot ${result.hashes.length} object(s): ${result.hashes.map((hash) => hash.slice(0, 12)).join(", ")}`, `removed from: ${result.removedFrom.length === 0 ? "no cache held them" : result.removedFrom.join(", ")}`, `tombstone: "${result.tombstones[0]?.reason ?? ""}"`].join("\n");
}
