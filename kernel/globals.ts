// The globals every cell sees (display, clearOutput, input, tf) and the types the cell type-checker knows
// them by (engine/typescript.ts declares them from the types exported here).
import { existsSync } from "node:fs";
import type { Display } from "../magics/types.js";
import { clearOutput, createDisplay } from "./display.js";
import { currentCellScope } from "./engine/cell-scope.js";
import { installExitGuard } from "./engine/exit-guard.js";

export type NotebookDisplay = Display;
export type { TensorFlow } from "./engine/tensorflow-types.js";
import type { TensorFlow } from "./engine/tensorflow-types.js";

const sinkOfRunningCell = () => currentCellScope()?.output;

export const notebookDisplay: Display = createDisplay(sinkOfRunningCell);

export async function notebookInput(prompt = "", options?: { password?: boolean }): Promise<string> {
  const scope = currentCellScope();
  if (!scope) throw new Error("input: no cell is running; call input() from a cell");
  if (!scope.request.allowStdin) {
    throw new Error("input: this frontend does not accept keyboard input (allow_stdin is false); pass the value in code instead");
  }
  return scope.request.input(prompt, options?.password ?? false);
}

let tfModule: TensorFlow | undefined;

/** Loads TensorFlow.js through training/ (the backend ladder) when it exists, else plain @tensorflow/tfjs. */
export async function loadTensorFlow(): Promise<TensorFlow> {
  if (tfModule) return tfModule;
  const trainingUrl = new URL("../training/index.js", import.meta.url);
  const hasTraining = existsSync(trainingUrl) || existsSync(new URL("../training/index.ts", import.meta.url));
  if (hasTraining) {
    const training = (await import(trainingUrl.href)) as { loadTf(): Promise<TensorFlow> };
    tfModule = await training.loadTf();
  } else {
    tfModule = (await import("@tensorflow/tfjs")) as TensorFlow;
  }
  return tfModule;
}

/** Defines the notebook globals on globalThis (tf is defined once loaded, see engine/run-cell.ts); guards process.exit. */
export function installNotebookGlobals(): void {
  const target = globalThis as Record<string, unknown>;
  target.display = notebookDisplay;
  target.clearOutput = (wait?: boolean) => clearOutput(sinkOfRunningCell, wait ?? false);
  target.input = notebookInput;
  installExitGuard();
}

export function defineTensorFlowGlobal(tf: TensorFlow): void {
  (globalThis as Record<string, unknown>).tf = tf;
}
