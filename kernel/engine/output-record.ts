// The kernel's own record of what a cell showed, as nbformat v4 outputs: streams merged as Jupyter frontends merge
// them, display updates applied in place by display_id, clear_output honoured. %version commit stores this record
// (the notebook as executed) instead of whatever file was last saved.
import type { MimeBundle, NotebookOutput, OutputSink } from "../types.js";

export interface OutputRecorder {
  readonly sink: OutputSink;
  /** The outputs so far, plus the cell's execute_result or error (which the wire layer publishes, not the sink). */
  finish(outcome: { result?: MimeBundle; executionCount: number } | { ename: string; evalue: string; traceback: string[] }): NotebookOutput[];
}

/** Wraps `inner`: every call goes on to it unchanged and is also recorded. */
export function recordOutputs(inner: OutputSink): OutputRecorder {
  let outputs: NotebookOutput[] = [];
  let clearPending = false;
  const beforeNewOutput = (): void => {
    if (clearPending) outputs = [];
    clearPending = false;
  };
  const sink: OutputSink = {
    stream(name, text) {
      beforeNewOutput();
      const last = outputs[outputs.length - 1];
      if (last?.output_type === "stream" && last.name === name) last.text += text;
      else outputs.push({ output_type: "stream", name, text });
      inner.stream(name, text);
    },
    displayData(data, metadata, transient) {
      beforeNewOutput();
      outputs.push({ output_type: "display_data", data: { ...data }, metadata: { ...(metadata ?? {}) }, ...(transient?.display_id ? { displayId: transient.display_id } : {}) });
      inner.displayData(data, metadata, transient);
    },
    updateDisplayData(data, metadata, transient) {
      for (const output of outputs) {
        if (output.output_type === "display_data" && output.displayId === transient.display_id) {
          output.data = { ...data };
          output.metadata = { ...(metadata ?? {}) };
        }
      }
      inner.updateDisplayData(data, metadata, transient);
    },
    clearOutput(wait) {
      if (wait) clearPending = true;
      else outputs = [];
      inner.clearOutput(wait);
    },
  };
  return {
    sink,
    finish(outcome) {
      beforeNewOutput();
      const recorded = outputs.map((output) => ({ ...output }));
      if ("ename" in outcome) recorded.push({ output_type: "error", ename: outcome.ename, evalue: outcome.evalue, traceback: outcome.traceback });
      else if (outcome.result) recorded.push({ output_type: "execute_result", execution_count: outcome.executionCount, data: { ...outcome.result }, metadata: {} });
      return recorded;
    },
  };
}
