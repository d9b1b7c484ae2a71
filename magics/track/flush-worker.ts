// The background writer: a worker thread with its own store connection turns columnar chunks into metric rows and
// writes them in one transaction per message, so neither a tight training loop nor a big flush waits on SQLite/PG.
import { parentPort, workerData } from "node:worker_threads";
import type { MetricPoint } from "../../store/types.js";
import type { MetricChunk, WriterReply, WriterRequest } from "./metric-sink.js";
import { openStore } from "../../store/index.js";

const { projectDir, location } = workerData as { projectDir: string; location: string };
const port = parentPort!;
const opened = openStore(projectDir, { location });

export function pointsFromChunks(runId: string, chunks: MetricChunk[]): MetricPoint[] {
  const points: MetricPoint[] = [];
  for (const chunk of chunks) {
    for (let i = 0; i < chunk.steps.length; i++) points.push({ runId, key: chunk.key, split: chunk.split, step: chunk.steps[i], value: chunk.values[i], wallTime: chunk.wallTimes[i] });
  }
  return points;
}

let queue: Promise<void> = Promise.resolve();
port.on("message", (request: WriterRequest) => {
  // One message at a time, in order.
  queue = queue.then(async () => {
    let reply: WriterReply;
    try {
      const store = await opened;
      if (request.type === "write") {
        await store.appendMetrics(pointsFromChunks(request.runId, request.chunks));
        reply = { type: "done", id: request.id };
      } else if (request.type === "heartbeat") {
        await store.heartbeat(request.runIds, request.at);
        reply = { type: "done", id: request.id };
      } else {
        await store.close();
        reply = { type: "done", id: request.id };
      }
    } catch (error) {
      reply = { type: "failed", id: request.id, message: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
});
