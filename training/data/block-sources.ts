// Where parsed blocks come from: the parser on the main thread (small data), or worker threads that read, hash and
// parse files while the main thread batches and trains. Each worker has at most PREFETCH_BLOCKS blocks in flight,
// so memory stays bounded however big the files are.
import * as fs from "node:fs";
import * as crypto from "node:crypto";
import { Worker } from "node:worker_threads";
import { createParserRuntime, parseFailureOf } from "./parse-runtime.js";
import { hashThreadMain, offThreadHasherFactory } from "./hash-thread.js";
import type { FileSummary, ParseFailure, ParseJob, ParsedBlock } from "./parse-runtime.js";

/** A file's rows, block by block, then its summary. */
export interface BlockSource {
  next(): Promise<{ block: ParsedBlock } | { summary: FileSummary }>;
  /** Stops early (the consumer broke off): frees the worker or generator. */
  close(): Promise<void>;
}

/** The error a consumer sees for a malformed row or an unreadable file. */
export class DatasetParseError extends Error {
  override readonly name = "DatasetParseError";
  readonly path: string;
  readonly line: number;
  readonly column: string | undefined;
  constructor(failure: ParseFailure) {
    super(failure.message);
    this.path = failure.path;
    this.line = failure.line;
    this.column = failure.column;
  }
}

function rethrow(error: unknown): never {
  const failure = parseFailureOf(error);
  throw failure ? new DatasetParseError(failure) : error;
}

let mainThreadRuntime: ReturnType<typeof createParserRuntime> | undefined;

/** Parses on the calling thread. */
export function inlineBlockSource(job: ParseJob): BlockSource {
  mainThreadRuntime ??= createParserRuntime(fs, crypto);
  const generator = mainThreadRuntime.parseFile(job);
  return {
    async next() {
      try {
        const step = generator.next();
        return step.done ? { summary: step.value } : { block: step.value };
      } catch (error) {
        rethrow(error);
      }
    },
    async close() {
      generator.return(undefined as unknown as FileSummary);
    },
  };
}

// Plain CommonJS run with eval: true (works the same under tsx, vitest and compiled dist/). The parser is the same
// function the main thread uses, as source text; __name is esbuild's keep-names helper, which tsx may emit. Each
// parse worker hashes on a thread of its own (hash-thread.ts), so hashing overlaps parsing.
const HASH_THREAD_SOURCE = `const __name = (target) => target;\n(${hashThreadMain.toString()})(require("node:worker_threads"), require("node:crypto"));`;
const WORKER_SOURCE = `
const __name = (target) => target;
const workerThreads = require("node:worker_threads");
const { parentPort } = workerThreads;
const hasherFactory = (${offThreadHasherFactory.toString()})(workerThreads, ${JSON.stringify(HASH_THREAD_SOURCE)}, 4, 1 << 20);
const runtime = (${createParserRuntime.toString()})(require("node:fs"), require("node:crypto"), hasherFactory);
let generator;
parentPort.on("message", (message) => {
  if (message.type === "start") {
    generator = runtime.parseFile(message.job);
    return;
  }
  if (message.type === "stop") {
    generator = undefined;
    return;
  }
  if (message.type !== "next" || generator === undefined) return;
  try {
    const step = generator.next();
    if (step.done) {
      generator = undefined;
      parentPort.postMessage({ type: "summary", summary: step.value });
    } else {
      const values = step.value.values;
      parentPort.postMessage({ type: "block", values, count: step.value.count }, [values.buffer]);
    }
  } catch (error) {
    generator = undefined;
    parentPort.postMessage({ type: "error", failure: error && error.failure, message: String(error && error.message || error) });
  }
});
`;

type WorkerReply = { type: "block"; values: Float32Array; count: number } | { type: "summary"; summary: FileSummary } | { type: "error"; failure: ParseFailure | undefined; message: string };

const PREFETCH_BLOCKS = 2;

/** One parse worker; parses one file at a time, PREFETCH_BLOCKS blocks ahead of the consumer. */
export class ParseWorker {
  private readonly worker: Worker;
  private readonly replies: WorkerReply[] = [];
  private waiting: ((reply: WorkerReply) => void) | undefined;
  private crashed: Error | undefined;
  private requested = 0;
  private finished = true;

  constructor() {
    this.worker = new Worker(WORKER_SOURCE, { eval: true });
    this.worker.unref();
    this.worker.on("message", (reply: WorkerReply) => this.deliver(reply));
    this.worker.on("error", (error) => {
      this.crashed = error;
      this.deliver({ type: "error", failure: undefined, message: `dataset: a parse worker failed (${error.message}).` });
    });
  }

  private deliver(reply: WorkerReply): void {
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting(reply);
    } else this.replies.push(reply);
  }

  private nextReply(): Promise<WorkerReply> {
    const queued = this.replies.shift();
    if (queued) return Promise.resolve(queued);
    return new Promise((resolveReply) => (this.waiting = resolveReply));
  }

  /** Starts parsing `job` and returns its blocks. Only one file at a time per worker. */
  source(job: ParseJob): BlockSource {
    if (this.crashed) throw this.crashed;
    this.finished = false;
    this.replies.length = 0;
    this.requested = 0;
    this.worker.postMessage({ type: "start", job });
    const request = (): void => {
      this.requested++;
      this.worker.postMessage({ type: "next" });
    };
    for (let index = 0; index < PREFETCH_BLOCKS; index++) request();
    return {
      next: async () => {
        const reply = await this.nextReply();
        this.requested--;
        if (reply.type === "block") {
          request();
          return { block: { values: reply.values, count: reply.count } };
        }
        this.finished = true;
        if (reply.type === "summary") {
          // Requests sent past the end are answered by nothing: the worker has no generator then.
          this.requested = 0;
          return { summary: reply.summary };
        }
        if (reply.failure) throw new DatasetParseError(reply.failure);
        throw new Error(reply.message);
      },
      close: async () => {
        if (this.finished) return;
        this.worker.postMessage({ type: "stop" });
        // Drain the replies already asked for, so the next file starts clean.
        this.finished = true;
        await this.terminate();
      },
    };
  }

  get idle(): boolean {
    return this.finished;
  }

  get alive(): boolean {
    return this.crashed === undefined;
  }

  async terminate(): Promise<void> {
    this.crashed ??= new Error("dataset: the parse worker was stopped.");
    await this.worker.terminate();
  }
}
