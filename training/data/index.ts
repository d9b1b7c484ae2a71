// Datasets bigger than memory: dataset(source, options), labnote shards, and the parse errors users can catch.
export { dataset, Dataset } from "./dataset.js";
export type { DatasetOptions, DatasetBatch, EpochSummary, ColumnType } from "./dataset.js";
export { DatasetParseError } from "./block-sources.js";
export { writeShard } from "./shard.js";
export type { ShardContents } from "./shard.js";
export type { FileFormat } from "./parse-runtime.js";
