// Provenance on read: a file hashed while the dataset streamed it is recorded in the kernel's %version session —
// its hash counts for the current run at once, and the state cache lets the cell's snapshot take the hash without
// reading the file a second time. Outside a kernel (no session) nothing is recorded.
import type { FileSummary } from "./parse-runtime.js";

export async function recordStreamedFile(summary: FileSummary): Promise<void> {
  if (summary.sha256 === undefined) return;
  try {
    // Loaded on use: training sits below the magics, and %version is optional.
    const [{ peekSession }, paths] = await Promise.all([import("../../magics/version/session.js"), import("../../magics/version/paths.js")]);
    const session = peekSession();
    if (!session || !paths.isWithin(session.projectDir, summary.path)) return;
    const projectPath = paths.toProjectPath(session.projectDir, summary.path);
    if (projectPath === "" || paths.isIgnoredProjectPath(projectPath)) return;
    session.states().record(projectPath, { size: summary.size, mtimeMs: summary.mtimeMs, ino: summary.ino, sha256: summary.sha256 });
    session.dataHashes.set(projectPath, summary.sha256);
  } catch {
    // Provenance must never stop training; the cell's snapshot hashes the file itself then.
  }
}
