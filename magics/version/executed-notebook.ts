// The notebook as executed, from the kernel's own record: each cell's code and outputs as it last ran. Cells are
// keyed by the frontend's cell id (JupyterLab, Notebook 7 and VS Code send one), so re-running an edited cell
// replaces it in place; without ids (jupyter console, nbclient) every execution is its own cell, in order.
import type { CellHooks, CellRecord, NotebookOutput } from "../../kernel/types.js";
import type { NotebookCell, NotebookDocument } from "./versions.js";

interface ExecutedCell {
  code: string;
  executionCount: number;
  status: CellRecord["status"];
  outputs: NotebookOutput[];
  cellId?: string;
}

/** nbformat outputs as stored in a notebook file (display ids are transient: they never go to disk). */
function storedOutputs(outputs: NotebookOutput[]): unknown[] {
  return outputs.map((output) => {
    if (output.output_type !== "display_data") return output;
    const { displayId: _transient, ...stored } = output;
    return stored;
  });
}

export class ExecutedNotebook {
  private readonly cells = new Map<string, ExecutedCell>();

  get size(): number {
    return this.cells.size;
  }

  record(cell: CellRecord): void {
    const key = cell.cellId ? `id:${cell.cellId}` : `execution:${cell.executionCount}:${this.cells.size}`;
    this.cells.set(key, { code: cell.code, executionCount: cell.executionCount, status: cell.status, outputs: cell.outputList ?? [], ...(cell.cellId ? { cellId: cell.cellId } : {}) });
  }

  hooks(): CellHooks {
    return { afterCell: (cell) => this.record(cell) };
  }

  document(metadata: Record<string, unknown>): NotebookDocument {
    const cells: NotebookCell[] = [...this.cells.values()].map((cell) => ({
      cell_type: "code",
      ...(cell.cellId ? { id: cell.cellId } : {}),
      source: cell.code,
      execution_count: cell.executionCount,
      outputs: storedOutputs(cell.outputs),
      metadata: { labnote: { status: cell.status } },
    }));
    return {
      cells,
      metadata: { kernelspec: { name: "labnote", display_name: "TypeScript (labnote)", language: "typescript" }, labnote: { asExecuted: true, ...metadata } },
      nbformat: 4,
      nbformat_minor: 5,
    };
  }
}
