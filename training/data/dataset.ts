// dataset(source, options): CSV, TSV, JSON Lines or labnote shards streamed from disk in bounded memory, hashed as
// read, shuffled through a seeded buffer (reshuffled every epoch), batched into tfjs tensors {x: [batch, features],
// y: [batch, 1]}. Each `for await` over the dataset is one epoch.
import { closeSync, fstatSync, openSync } from "node:fs";
import { availableParallelism } from "node:os";
import type * as tfTypes from "@tensorflow/tfjs";
import { loadTf } from "../ladder.js";
import { DatasetParseError, inlineBlockSource, ParseWorker, type BlockSource } from "./block-sources.js";
import type { ColumnKind, FileFormat, FileSummary, ParseJob, ParsedBlock } from "./parse-runtime.js";
import { recordStreamedFile } from "./provenance.js";
import { epochRandom, RowShuffleBuffer, shuffleInPlace } from "./shuffle.js";
import { readColumns, resolveSource, type DataFile } from "./sources.js";

/** How a column's text becomes a number: a number, a boolean (true/false, 1/0), or a category's index. */
export type ColumnType = "number" | "bool" | readonly string[];

export interface DatasetOptions {
  /** Rows per batch (default 32). */
  batchSize?: number;
  /** The target column: y is [batch, 1]. */
  label: string;
  /** Feature columns, in this order (default: every column but the label, in file order). */
  features?: string[];
  /** Column names when the files have no header line (CSV/TSV with header: false), or the keys to read from JSON Lines. */
  columns?: string[];
  /** CSV/TSV: whether each file starts with a header line (default true). */
  header?: boolean;
  /** Per-column parsing (default "number"): "bool", or a list of categories (the value becomes its index). */
  types?: Record<string, ColumnType>;
  /** Shuffle buffer in rows (default 10,000; true = 10,000; false or 0 = file order). File order is shuffled too. */
  shuffle?: number | boolean;
  /** Seed of the shuffle (default 0: the same epoch orders every run; pass another seed for other orders). */
  seed?: number;
  /** Skip malformed rows and count them (default false: the first one is an error naming file, line and column). */
  skipBad?: boolean;
  /** Hash every byte as it is read (SHA-256) and record it for %version and the run (default true). */
  hash?: boolean;
  /** Parse workers: "auto" (default: worker threads for data over 16 MB), 0 for the main thread, or a count. */
  workers?: number | "auto";
  /** The format, when the extensions do not say it. */
  format?: FileFormat;
  /** Drop an epoch's last, smaller batch (default false). */
  dropRemainder?: boolean;
  /** Relative paths and globs start here (default process.cwd(), the notebook's directory in the kernel). */
  cwd?: string;
  /** Rows per parsed block (default 8192). */
  blockRows?: number;
}

export interface DatasetBatch {
  /** [batch, features] float32. */
  x: tfTypes.Tensor2D;
  /** [batch, 1] float32. */
  y: tfTypes.Tensor2D;
}

export interface EpochSummary {
  epoch: number;
  rows: number;
  batches: number;
  skipped: number;
  /** A few skipped rows with why (skipBad). */
  skippedExamples: string[];
  files: Array<{ path: string; rows: number; skipped: number; bytes: number; sha256: string | undefined }>;
}

const DEFAULT_SHUFFLE_ROWS = 10_000;
const WORKER_THRESHOLD_BYTES = 16 * 1024 * 1024;
const MAX_WORKERS = 4;

function checkOptions(options: DatasetOptions | undefined): asserts options is DatasetOptions {
  if (!options || typeof options !== "object") throw new Error('dataset: pass options with at least the label column, e.g. dataset("data/*.csv", { label: "y", batchSize: 256 }).');
  if (typeof options.label !== "string" || options.label === "") throw new Error('dataset: `label` must name the target column, e.g. { label: "y" }.');
  const batchSize = options.batchSize ?? 32;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`dataset: batchSize must be a positive integer, got ${String(options.batchSize)}.`);
  if (options.shuffle !== undefined && typeof options.shuffle !== "boolean" && !(Number.isInteger(options.shuffle) && options.shuffle >= 0)) {
    throw new Error(`dataset: shuffle must be true, false or a buffer size in rows (a non-negative integer), got ${String(options.shuffle)}.`);
  }
  if (options.workers !== undefined && options.workers !== "auto" && !(Number.isInteger(options.workers) && options.workers >= 0)) {
    throw new Error(`dataset: workers must be "auto", 0 (main thread) or a positive integer, got ${String(options.workers)}.`);
  }
}

function kindOf(type: ColumnType | undefined, column: string): ColumnKind {
  if (type === undefined || type === "number") return { kind: "number" };
  if (type === "bool") return { kind: "bool" };
  if (Array.isArray(type) && type.every((value) => typeof value === "string")) return { kind: "category", values: [...type] };
  throw new Error(`dataset: types.${column} must be "number", "bool" or a list of category strings, got ${JSON.stringify(type)}.`);
}

export class Dataset implements AsyncIterable<DatasetBatch> {
  readonly files: readonly DataFile[];
  /** Every column of the files, in file order. */
  readonly columns: readonly string[];
  readonly features: readonly string[];
  readonly label: string;
  readonly batchSize: number;
  readonly seed: number;
  readonly format: FileFormat;
  /** What the last finished epoch read (rows, skipped rows, each file's hash). */
  lastEpoch: EpochSummary | undefined;
  private readonly shuffleRows: number;
  private readonly kinds: ColumnKind[];
  private readonly select: number[];
  private readonly options: DatasetOptions;
  private readonly fileHashes = new Map<string, string>();
  private nextEpoch = 0;

  constructor(source: string | string[], options: DatasetOptions) {
    checkOptions(options);
    this.options = options;
    const cwd = options.cwd ?? process.cwd();
    this.files = resolveSource(source, { cwd, format: options.format });
    this.format = this.files[0]!.format;
    const header = options.header ?? true;
    this.columns = options.columns ?? readColumns(this.files[0]!, header);
    const known = new Set(this.columns);
    const list = `the columns are ${this.columns.join(", ")}`;
    if (!known.has(options.label)) throw new Error(`dataset: the label column "${options.label}" is not in ${this.files[0]!.path} (${list}). Pass label: one of them.`);
    this.label = options.label;
    this.features = options.features ?? this.columns.filter((column) => column !== options.label);
    for (const feature of this.features) if (!known.has(feature)) throw new Error(`dataset: the feature column "${feature}" is not in the data (${list}).`);
    if (this.features.length === 0) throw new Error(`dataset: no feature columns (${list}): pass features: [...].`);
    for (const column of Object.keys(options.types ?? {})) if (!known.has(column)) throw new Error(`dataset: types names "${column}", which is not a column (${list}).`);
    const outputs = [...this.features, this.label];
    this.select = outputs.map((column) => this.columns.indexOf(column));
    this.kinds = outputs.map((column) => kindOf(options.types?.[column], column));
    if (this.format === "shard" && Object.keys(options.types ?? {}).length > 0) throw new Error("dataset: shards hold float32 values already; `types` applies to CSV, TSV and JSON Lines only.");
    this.batchSize = options.batchSize ?? 32;
    this.shuffleRows = options.shuffle === false ? 0 : options.shuffle === true || options.shuffle === undefined ? DEFAULT_SHUFFLE_ROWS : options.shuffle;
    this.seed = options.seed ?? 0;
  }

  /** One epoch; every iteration is the next epoch (reshuffled). */
  [Symbol.asyncIterator](): AsyncGenerator<DatasetBatch> {
    return this.epoch(this.nextEpoch++);
  }

  /** The next epoch's batches (what trainLoop and fitDataset call once per epoch). */
  epochBatches(): AsyncGenerator<DatasetBatch> {
    return this.epoch(this.nextEpoch++);
  }

  /** path → sha256 of every file read to its end so far (with hash on). */
  hashes(): Record<string, string> {
    return Object.fromEntries(this.fileHashes);
  }

  /** The batches of epoch `epoch` (the same order for the same seed and epoch). */
  async *epoch(epoch: number): AsyncGenerator<DatasetBatch> {
    const tf = await loadTf();
    const featureCount = this.features.length;
    const width = featureCount + 1;
    const batchSize = this.batchSize;
    const random = epochRandom(this.seed, epoch);
    const summary: EpochSummary = { epoch, rows: 0, batches: 0, skipped: 0, skippedExamples: [], files: [] };
    let x = new Float32Array(batchSize * featureCount);
    let y = new Float32Array(batchSize);
    let filled = 0;
    const ready: DatasetBatch[] = [];
    const emit = (storage: Float32Array, offset: number): void => {
      x.set(storage.subarray(offset, offset + featureCount), filled * featureCount);
      y[filled] = storage[offset + featureCount]!;
      filled++;
      if (filled === batchSize) {
        ready.push({ x: tf.tensor2d(x, [batchSize, featureCount]), y: tf.tensor2d(y, [batchSize, 1]) });
        x = new Float32Array(batchSize * featureCount);
        y = new Float32Array(batchSize);
        filled = 0;
      }
    };
    const buffer = this.shuffleRows > 0 ? new RowShuffleBuffer(this.shuffleRows, width, random) : undefined;
    try {
      for await (const block of this.blocks(random, summary)) {
        for (let row = 0; row < block.count; row++) {
          if (buffer) buffer.push(block.values, row * width, emit);
          else emit(block.values, row * width);
        }
        summary.rows += block.count;
        while (ready.length > 0) {
          summary.batches++;
          yield ready.shift()!;
        }
      }
      buffer?.drain(emit);
      while (ready.length > 0) {
        summary.batches++;
        yield ready.shift()!;
      }
      if (filled > 0 && !this.options.dropRemainder) {
        summary.batches++;
        yield { x: tf.tensor2d(x.subarray(0, filled * featureCount), [filled, featureCount]), y: tf.tensor2d(y.subarray(0, filled), [filled, 1]) };
      }
      this.lastEpoch = summary;
      if (summary.skipped > 0) console.warn(`dataset: epoch ${epoch} skipped ${summary.skipped} malformed row(s) (skipBad), e.g. ${summary.skippedExamples[0]}`);
    } finally {
      // Batches made but never handed out (the consumer stopped early) are freed here.
      for (const batch of ready) tf.dispose([batch.x, batch.y]);
    }
  }

  /** A tf.data.Dataset of {xs, ys} for model.fitDataset: each of its epochs is one epoch of this dataset. */
  async toTfDataset(): Promise<tfTypes.data.Dataset<{ xs: tfTypes.Tensor2D; ys: tfTypes.Tensor2D }>> {
    const tf = await loadTf();
    const rename = async function* (batches: AsyncGenerator<DatasetBatch>) {
      for await (const batch of batches) yield { xs: batch.x, ys: batch.y };
    };
    return tf.data.generator(() => rename(this.epochBatches()) as AsyncIterator<{ xs: tfTypes.Tensor2D; ys: tfTypes.Tensor2D }>);
  }

  private workerCount(files: readonly DataFile[]): number {
    const setting = this.options.workers ?? "auto";
    if (setting !== "auto") return Math.min(setting, files.length);
    const bytes = files.reduce((sum, file) => sum + file.size, 0);
    if (bytes < WORKER_THRESHOLD_BYTES) return 0;
    return Math.max(1, Math.min(files.length, MAX_WORKERS, availableParallelism() - 1));
  }

  private job(file: DataFile, fd: number): ParseJob {
    return {
      path: file.path,
      fd,
      format: file.format,
      columns: [...this.columns],
      select: this.select,
      kinds: this.kinds,
      header: this.format === "jsonl" || this.format === "shard" ? false : this.options.header ?? true,
      skipBad: this.options.skipBad ?? false,
      hash: this.options.hash ?? true,
      blockRows: this.options.blockRows ?? 8192,
      chunkBytes: 1 << 20,
    };
  }

  private async finishFile(file: DataFile, fd: number, result: FileSummary, summary: EpochSummary): Promise<void> {
    summary.skipped += result.skipped;
    for (const example of result.skippedExamples) if (summary.skippedExamples.length < 5) summary.skippedExamples.push(`${file.path}, ${example}`);
    // A file changed while it was read has no trustworthy hash: the snapshot hashes it again instead.
    const after = fstatSync(fd);
    const stable = after.size === result.size && after.mtimeMs === result.mtimeMs;
    const sha256 = stable ? result.sha256 : undefined;
    summary.files.push({ path: file.path, rows: result.rows, skipped: result.skipped, bytes: result.size, sha256 });
    if (sha256 !== undefined) {
      this.fileHashes.set(file.path, sha256);
      await recordStreamedFile({ ...result, sha256 });
    }
  }

  /** Parsed blocks of every file (in an order shuffled per epoch), from workers or the main thread. */
  private async *blocks(random: () => number, summary: EpochSummary): AsyncGenerator<ParsedBlock> {
    const order = [...this.files];
    if (this.shuffleRows > 0) shuffleInPlace(order, random);
    const open = (file: DataFile): number => {
      try {
        // Opened here, on the main thread, so %version's read observer sees which files the cell read.
        return openSync(file.path, "r");
      } catch (error) {
        throw new DatasetParseError({ message: `dataset: ${file.path} cannot be opened (${(error as Error).message}). Was it moved or deleted after the dataset was made?`, path: file.path, line: 0, column: undefined });
      }
    };
    const workers = Array.from({ length: this.workerCount(order) }, () => new ParseWorker());
    interface Lane {
      file: DataFile;
      fd: number;
      source: BlockSource;
      worker: ParseWorker | undefined;
    }
    const lanes: Lane[] = [];
    let nextFile = 0;
    const startLane = (worker: ParseWorker | undefined): Lane | undefined => {
      if (nextFile >= order.length) return undefined;
      const file = order[nextFile++]!;
      const fd = open(file);
      const job = this.job(file, fd);
      return { file, fd, worker, source: worker ? worker.source(job) : inlineBlockSource(job) };
    };
    try {
      if (workers.length === 0) {
        const lane = startLane(undefined);
        if (lane) lanes.push(lane);
      } else {
        for (const worker of workers) {
          const lane = startLane(worker);
          if (lane) lanes.push(lane);
        }
      }
      // Round robin over the lanes: the order depends only on the files, never on timing.
      let turn = 0;
      while (lanes.length > 0) {
        turn %= lanes.length;
        const lane = lanes[turn]!;
        const next = await lane.source.next();
        if ("block" in next) {
          yield next.block;
          turn++;
          continue;
        }
        await this.finishFile(lane.file, lane.fd, next.summary, summary);
        closeSync(lane.fd);
        lane.fd = -1;
        const following = startLane(lane.worker);
        if (following) lanes[turn] = following;
        else lanes.splice(turn, 1);
      }
    } finally {
      for (const lane of lanes) {
        await lane.source.close();
        if (lane.fd !== -1) closeSync(lane.fd);
      }
      await Promise.all(workers.map((worker) => worker.terminate()));
    }
  }
}

/** Streams a dataset from a path, a directory or a glob; see DatasetOptions. */
export function dataset(source: string | string[], options: DatasetOptions): Dataset {
  return new Dataset(source, options);
}
