// The OutputSink the engine writes to: every call becomes one iopub message parented to the cell's request.
import type { JSONObject, MimeBundle, OutputSink } from "../types.js";

export type IopubSend = (msgType: string, content: JSONObject) => void;

export function createOutputSink(send: IopubSend): OutputSink {
  return {
    stream(name, text) {
      if (text.length > 0) send("stream", { name, text });
    },
    displayData(data: MimeBundle, metadata: JSONObject = {}, transient?: { display_id?: string }) {
      send("display_data", { data: data as JSONObject, metadata, transient: transient?.display_id ? { display_id: transient.display_id } : {} });
    },
    updateDisplayData(data: MimeBundle, metadata: JSONObject | undefined, transient: { display_id: string }) {
      send("update_display_data", { data: data as JSONObject, metadata: metadata ?? {}, transient: { display_id: transient.display_id } });
    },
    clearOutput(wait: boolean) {
      send("clear_output", { wait });
    },
  };
}
