// One auto-snapshot: a commit on refs/labnote/<notebook>/cells whose tree holds the cell's code, its record
// (execution count, time, outputs summary) and the manifest of the data it read or declared.
import type { CellRecord } from "../../kernel/types.js";
import type { DataItem, DataProblem, ManifestEntry } from "./data.js";
import { appendCommit, writeFilesTree } from "./git-store.js";

export interface CellSnapshotRecord {
  kernelId: string;
  notebook: string | null;
  executionCount: number;
  startedAt: string;
  durationMs: number;
  status: CellRecord["status"];
  outputs: CellRecord["outputs"];
  error?: CellRecord["error"];
  data: { items: DataItem[]; files: ManifestEntry[]; problems: DataProblem[] };
}

/** A ref-name-safe key for a notebook: its file name without extension, or "notebook" when unknown. */
export function notebookKey(notebookPath: string | undefined): string {
  if (!notebookPath) return "notebook";
  const base = notebookPath.split(/[\\/]/).pop()!.replace(/\.ipynb$/, "");
  const safe = base.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/\.{2,}/g, ".").replace(/^[.-]+/, "").replace(/\.lock$/, "-lock").replace(/\.$/, "");
  return safe || "notebook";
}

export function cellsRef(key: string): string {
  return `refs/labnote/${key}/cells`;
}

export function versionsRef(key: string): string {
  return `refs/labnote/${key}/versions`;
}

export async function snapshotCell(options: { gitdir: string; ref: string; cell: CellRecord; record: CellSnapshotRecord; when?: Date }): Promise<string> {
  const tree = await writeFilesTree(options.gitdir, {
    "cell.ts": options.cell.code,
    "cell.json": `${JSON.stringify(options.record, null, 2)}\n`,
  });
  const firstLine = options.cell.code.split("\n").find((line) => line.trim() !== "")?.trim().slice(0, 60) ?? "(empty)";
  const message = `cell [${options.cell.executionCount}] ${options.cell.status}: ${firstLine}\n\nkernel ${options.record.kernelId}, ${options.record.data.files.length} data file(s)`;
  return appendCommit(options.gitdir, options.ref, tree, message, options.when ?? options.cell.startedAt);
}
