// Text for %version forget's report (the report itself goes out as application/json).
import type { ForgetReport } from "./forget.js";

export function renderForgetReport(report: ForgetReport): string {
  const lines = [`forgot ${report.target}: ${report.hashes.length} file version(s) (${report.hashes.map((hash) => hash.slice(0, 12)).join(", ")}), reason "${report.reason}"`];
  lines.push(`  bytes removed from: ${report.removedFrom.length === 0 ? "no cache held them" : report.removedFrom.join(", ")}`);
  if (report.artifactsRemoved.length > 0) lines.push(`  run artifacts removed: ${report.artifactsRemoved.join(", ")}`);
  for (const entry of report.redacted) lines.push(`  redacted ${entry.values} value(s) in ${entry.file} ${entry.table}.${entry.column}`);
  if (report.scrub) {
    lines.push(`  history rewritten: ${report.scrub.commitsRewritten} commit(s), ${report.scrub.filesRedacted} stored file(s) redacted`);
    for (const ref of report.scrub.refs) lines.push(`    ${ref.ref}: ${ref.before.slice(0, 10)} → ${ref.after.slice(0, 10)}`);
    for (const remote of report.scrub.forcePush) lines.push(`  needs a forced push: %version push ${remote} --force`);
  }
  lines.push(report.remaining.length === 0 ? "  the content appears nowhere else labnote can see" : "  the content still appears in:");
  for (const entry of report.remaining) lines.push(`    ${entry.place}: ${entry.detail}`);
  return lines.join("\n");
}
