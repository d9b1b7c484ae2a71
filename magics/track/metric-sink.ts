// Where flushed points go. With the project's own SQLite/PostgreSQL store, a shared worker thread writes them (the
// run only copies typed-array slices and posts them, so it can flush from inside a synchronous loop); with a store
// object passed in (memory store, tests) they are written on this thread.
import { Worker } from "node:worker_threads";
import type { MetricPoint, Store } from "../../store/types.js";

export interface MetricChunk {
  key: string;
  split: string;
  steps: Float64Array;
  values: Float64Array;
  wallTimes: Float64Array;
}

export type WriterRequest =
  | { type: "write"; id: number; runId: string; chunks: MetricChunk[] }
  | { type: "heartbeat"; id: number; runIds: string[]; at: number }
  | { type: "close"; id: number };
export type WriterReply = { type: "done"; id: number } | { type: "failed"; id: number; message: string };

export interface MetricSink {
  /** True when writing happens off this thread: flushing from a tight loop is then cheap. */
  readonly offThread: boolean;
  write(runId: string, chunks: MetricChunk[]): Promise<void>;
  /** Heartbeats go the same way as points: a write on this thread could wait on the writer's SQLite lock. */
  heartbeat(runIds: string[], at: number): Promise<void>;
}

export function storeSink(store: Store): MetricSink {
  return {
    offThread: false,
    write(runId, chunks) {
      const points: MetricPoint[] = [];
      for (const chunk of chunks) {
        for (let i = 0; i < chunk.steps.length; i++) points.push({ runId, key: chunk.key, split: chunk.split, step: chunk.steps[i], value: chunk.values[i], wallTime: chunk.wallTimes[i] });
      }
      return store.appendMetrics(points);
    },
    heartbeat: (runIds, at) => store.heartbeat(runIds, at),
  };
}

class WorkerSink implements MetricSink {
  readonly offThread = true;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();

  constructor(private readonly worker: Worker) {
    worker.on("message", (reply: WriterReply) => {
      const waiter = this.waiting.get(reply.id);
      this.waiting.delete(reply.id);
      if (this.waiting.size === 0) worker.unref();
      if (reply.type === "done") waiter?.resolve();
      else waiter?.reject(new Error(reply.message));
    });
    worker.on("error", (error) => this.failAll(error));
    worker.on("exit", (code) => this.failAll(new Error(`the metric writer thread stopped (exit code ${code})`)));
    worker.unref();
  }

  write(runId: string, chunks: MetricChunk[]): Promise<void> {
    // The chunks are views of SharedArrayBuffers: posting them shares memory instead of copying (cloning 24 MB costs ~100 ms).
    return this.send({ type: "write", id: this.nextId++, runId, chunks });
  }

  heartbeat(runIds: string[], at: number): Promise<void> {
    return this.send({ type: "heartbeat", id: this.nextId++, runIds, at });
  }

  private send(request: WriterRequest): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.set(request.id, { resolve, reject });
      this.worker.ref(); // keep the process alive until the request is acknowledged
      this.worker.postMessage(request);
    });
  }

  private failAll(error: Error): void {
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
    writers.clear(); // the next run starts a fresh writer
  }
}

const writers = new Map<string, WorkerSink>();

/** The shared background writer for a store location, or undefined when none can run here (then write on this thread). */
export function workerSink(projectDir: string, location: string): MetricSink | undefined {
  const key = `${projectDir}\u0000${location}`;
  const existing = writers.get(key);
  if (existing) return existing;
  try {
    const workerData = { projectDir, location };
    const worker = import.meta.url.endsWith(".ts")
      ? // Running from TypeScript sources (tests, benches): the worker registers tsx before loading its module.
        new Worker(`import("tsx/esm/api").then((api) => { api.register(); return import(${JSON.stringify(new URL("./flush-worker.ts", import.meta.url).href)}); })`, { eval: true, workerData })
      : new Worker(new URL("./flush-worker.js", import.meta.url), { workerData });
    const sink = new WorkerSink(worker);
    writers.set(key, sink);
    return sink;
  } catch {
    return undefined;
  }
}
