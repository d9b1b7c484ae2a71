// dataset(): formats, column selection and types, seeded per-epoch shuffling, workers = main thread, hashing as
// read, clear errors for bad rows and bad sources, trainLoop and model.fitDataset.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dataset, DatasetParseError, loadTf, switchBackend, trainLoop, writeShard } from "../../../training/index.js";
import type { Tf } from "../../../training/index.js";

let tf: Tf;
let dir: string;
const ROWS = 500;

/** Rows i = 0…ROWS-1: a = i, b = i / 2, c = 1 - i, y = i % 3. */
function rowsOf(n: number): number[][] {
  return Array.from({ length: n }, (_, i) => [i, i / 2, 1 - i, i % 3]);
}

beforeAll(async () => {
  tf = await loadTf();
  await switchBackend("cpu");
  dir = mkdtempSync(join(tmpdir(), "labnote-dataset-"));
  const rows = rowsOf(ROWS);
  writeFileSync(join(dir, "plain.csv"), `a,b,c,y\n${rows.map((row) => row.join(",")).join("\n")}\n`);
  writeFileSync(join(dir, "plain.tsv"), `a\tb\tc\ty\r\n${rows.map((row) => row.join("\t")).join("\r\n")}`);
  writeFileSync(join(dir, "plain.jsonl"), rows.map(([a, b, c, y]) => JSON.stringify({ a, b, c, y })).join("\n") + "\n");
  writeShard(join(dir, "plain.lnshard"), { columns: ["a", "b", "c", "y"], values: rows });
  mkdirSync(join(dir, "parts"));
  for (let part = 0; part < 4; part++) {
    const slice = rows.slice(part * 125, (part + 1) * 125);
    writeFileSync(join(dir, "parts", `part-${part}.csv`), `a,b,c,y\n${slice.map((row) => row.join(",")).join("\n")}\n`);
  }
});

interface Collected {
  rows: number[][];
  batchSizes: number[];
}

async function collect(batches: AsyncIterable<{ x: import("@tensorflow/tfjs").Tensor2D; y: import("@tensorflow/tfjs").Tensor2D }>): Promise<Collected> {
  const out: Collected = { rows: [], batchSizes: [] };
  for await (const { x, y } of batches) {
    const xs = (await x.array()) as number[][];
    const ys = (await y.array()) as number[][];
    xs.forEach((row, index) => out.rows.push([...row, ys[index]![0]!]));
    out.batchSizes.push(x.shape[0]);
    tf.dispose([x, y]);
  }
  return out;
}

const sortRows = (rows: number[][]): number[][] => [...rows].sort((p, q) => p[0]! - q[0]!);

describe("dataset", () => {
  it("reads CSV, TSV (CRLF, no final newline), JSON Lines and shards to the same rows, batched", async () => {
    const expected = rowsOf(ROWS);
    for (const file of ["plain.csv", "plain.tsv", "plain.jsonl", "plain.lnshard"]) {
      const ds = dataset(join(dir, file), { label: "y", batchSize: 64, shuffle: false });
      expect(ds.features).toEqual(["a", "b", "c"]);
      const got = await collect(ds);
      expect(got.rows, file).toEqual(expected);
      expect(got.batchSizes).toEqual([64, 64, 64, 64, 64, 64, 64, 52]);
      expect(ds.lastEpoch).toMatchObject({ rows: ROWS, batches: 8, skipped: 0 });
    }
  });

  it("shuffles with a seed: every row once per epoch, a new order each epoch, the same orders for the same seed", async () => {
    const orders: number[][][] = [];
    for (let copy = 0; copy < 2; copy++) {
      const ds = dataset(join(dir, "parts"), { label: "y", batchSize: 50, shuffle: 100, seed: 7 });
      const epochs = [await collect(ds), await collect(ds)];
      for (const epoch of epochs) expect(sortRows(epoch.rows)).toEqual(rowsOf(ROWS));
      orders.push(epochs.map((epoch) => epoch.rows.map((row) => row[0]!)) as unknown as number[][]);
    }
    const [first, second] = orders as unknown as number[][][];
    expect(first![0]).not.toEqual(first![1]); // reshuffled every epoch
    expect(first).toEqual(second); // reproducible
    const other = await collect(dataset(join(dir, "parts"), { label: "y", batchSize: 50, shuffle: 100, seed: 8 }));
    expect(other.rows.map((row) => row[0])).not.toEqual(first![0]);
  });

  it("gives the same batches whether files are parsed on worker threads or the main thread", async () => {
    const options = { label: "y", batchSize: 40, shuffle: 64, seed: 3 } as const;
    const inline = await collect(dataset(join(dir, "parts", "*.csv"), { ...options, workers: 0 }));
    const workers = await collect(dataset(join(dir, "parts", "*.csv"), { ...options, workers: 2 }));
    expect(workers.rows).toEqual(inline.rows);
  });

  it("parses quoted fields, selected columns and typed columns (bool, categories)", async () => {
    const file = join(dir, "typed.csv");
    writeFileSync(file, 'id,name,flag,kind,score\n1,"Smith, ""J""",true,cat,0.5\n2,"two\nlines",0,dog,1.5e1\n3,plain,FALSE,"cat",-2\n');
    const ds = dataset(file, { label: "score", features: ["kind", "flag", "id"], types: { flag: "bool", kind: ["dog", "cat"] }, shuffle: false, batchSize: 10 });
    const got = await collect(ds);
    expect(got.rows).toEqual([
      [1, 1, 1, 0.5],
      [0, 0, 2, 15],
      [1, 0, 3, -2],
    ]);
  });

  it("hashes the bytes as it reads them (SHA-256 of the file) and not when hash: false", async () => {
    const file = join(dir, "plain.csv");
    const ds = dataset(file, { label: "y", batchSize: 128 });
    await collect(ds);
    const sha256 = createHash("sha256").update(readFileSync(file)).digest("hex");
    expect(ds.hashes()).toEqual({ [file]: sha256 });
    expect(ds.lastEpoch!.files).toEqual([{ path: file, rows: ROWS, skipped: 0, bytes: readFileSync(file).length, sha256 }]);
    const unhashed = dataset(file, { label: "y", batchSize: 128, hash: false });
    await collect(unhashed);
    expect(unhashed.hashes()).toEqual({});
  });

  it("hashes on the parse worker's hash thread too: big files (many ring slots), several files per worker", async () => {
    const big = join(dir, "big");
    mkdirSync(big);
    const expected: Record<string, string> = {};
    for (const name of ["one.csv", "two.csv", "three.csv"]) {
      const lines = Array.from({ length: 80_000 }, (_, i) => `${i},${(i * 0.37).toFixed(5)},"q${i % 7}",${i % 2}`);
      const text = `a,b,tag,y\n${lines.join("\n")}\n`;
      writeFileSync(join(big, name), text);
      expected[join(big, name)] = createHash("sha256").update(text).digest("hex");
    }
    const ds = dataset(big, { label: "y", features: ["a", "b"], batchSize: 4096, workers: 2 });
    let rows = 0;
    for await (const { x, y } of ds) {
      rows += x.shape[0];
      tf.dispose([x, y]);
    }
    expect(rows).toBe(240_000);
    expect(ds.hashes()).toEqual(expected);
  });

  it("stops a malformed row with file, line and column; skipBad skips and counts instead", async () => {
    const file = join(dir, "bad.csv");
    writeFileSync(file, "a,b,y\n1,2,0\n3,oops,1\n4,5\n6,7,1\n");
    const strict = dataset(file, { label: "y", shuffle: false });
    const error = await collect(strict).then(() => undefined, (caught: unknown) => caught);
    expect(error).toBeInstanceOf(DatasetParseError);
    expect((error as DatasetParseError).message).toBe(`dataset: ${file}, line 3, column 2 ("b"): "oops" is not a number. Fix the row, or pass skipBad: true to skip such rows and count them.`);
    expect(error).toMatchObject({ path: file, line: 3, column: '2 ("b")' });
    for (const workers of [0, 1]) {
      const lenient = dataset(file, { label: "y", shuffle: false, skipBad: true, workers });
      const got = await collect(lenient);
      expect(got.rows).toEqual([
        [1, 2, 0],
        [6, 7, 1],
      ]);
      expect(lenient.lastEpoch).toMatchObject({ rows: 2, skipped: 2 });
      expect(lenient.lastEpoch!.skippedExamples[1]).toContain("line 4: expected 3 columns, found 2");
    }
    const jsonl = join(dir, "bad.jsonl");
    writeFileSync(jsonl, '{"a":1,"y":0}\n{"a":"x","y":1}\n');
    await expect(collect(dataset(jsonl, { label: "y", workers: 1 }))).rejects.toThrow(`dataset: ${jsonl}, line 2, column "a": "x" is not a number.`);
  });

  it("says what to do about a missing file, an empty glob, an unknown column or format", () => {
    expect(() => dataset(join(dir, "nope.csv"), { label: "y" })).toThrow(/nope\.csv does not exist\. Check the path/);
    expect(() => dataset(join(dir, "*.parquet"), { label: "y" })).toThrow(/the glob ".*\*\.parquet" matches no \.csv\/\.tsv.* files .*Check the pattern/);
    expect(() => dataset(join(dir, "plain.csv"), { label: "target" })).toThrow('the label column "target" is not in');
    expect(() => dataset(join(dir, "plain.csv"), { label: "y", features: ["a", "zz"] })).toThrow('the feature column "zz" is not in the data (the columns are a, b, c, y)');
    writeFileSync(join(dir, "data.txt"), "a,y\n1,2\n");
    expect(() => dataset(join(dir, "data.txt"), { label: "y" })).toThrow(/cannot tell the format .* pass format: "csv"/);
    expect(() => dataset(join(dir, "plain.csv"), { label: "y", batchSize: 0 })).toThrow("batchSize must be a positive integer");
  });

  it("trains with trainLoop for several epochs (a new pass per epoch) and with model.fitDataset", async () => {
    const file = join(dir, "linear.csv");
    const lines = Array.from({ length: 256 }, (_, i) => {
      const a = (i % 16) / 8 - 1;
      const b = Math.floor(i / 16) / 8 - 1;
      return `${a},${b},${2 * a - b + 0.5}`;
    });
    writeFileSync(file, `a,b,y\n${lines.join("\n")}\n`);
    const ds = dataset(file, { label: "y", batchSize: 32, shuffle: 64, seed: 1 });
    const w = tf.variable(tf.zeros([2, 1]));
    const bias = tf.variable(tf.scalar(0));
    const result = await trainLoop({ params: [w, bias], optimizer: tf.train.adam(0.1), lossFn: (x, y) => tf.losses.meanSquaredError(y, tf.add(tf.matMul(x, w), bias)), data: ds, epochs: 6, run: null, progress: false });
    expect(result.steps).toBe(6 * 8);
    expect(result.finalLoss).toBeLessThan(result.losses[0]! / 10);
    tf.dispose([w, bias]);

    const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
    model.compile({ optimizer: tf.train.adam(0.1), loss: "meanSquaredError" });
    const history = await model.fitDataset(await ds.toTfDataset(), { epochs: 5, verbose: 0 });
    const losses = history.history.loss as number[];
    expect(losses).toHaveLength(5);
    expect(losses[4]!).toBeLessThan(losses[0]!);
    model.dispose();
  });
});

describe("trainLoop over whole tensors", () => {
  it("reshuffles the rows every epoch with a seed (every row once per epoch); shuffle: false keeps the order", async () => {
    const rows = 12;
    const x = tf.tensor2d(Array.from({ length: rows }, (_, i) => [i]));
    const y = tf.zeros([rows, 1]);
    const w = tf.variable(tf.scalar(1));
    const seenOrder = async (options: { shuffle?: boolean; seed?: number }): Promise<number[]> => {
      const seen: number[] = [];
      await trainLoop({ params: [w], optimizer: tf.train.sgd(0), data: { x, y }, batchSize: 4, epochs: 3, run: null, progress: false, ...options, lossFn: (batchX, batchY) => {
        seen.push(...Array.from(batchX.dataSync()));
        return tf.losses.meanSquaredError(batchY, tf.mul(batchX, w));
      } });
      return seen;
    };
    const ordered = Array.from({ length: rows }, (_, i) => i);
    const shuffled = await seenOrder({ seed: 5 });
    const epochs = [shuffled.slice(0, 12), shuffled.slice(12, 24), shuffled.slice(24)];
    for (const epoch of epochs) expect([...epoch].sort((p, q) => p - q)).toEqual(ordered);
    expect(epochs[0]).not.toEqual(epochs[1]);
    expect(epochs[0]).not.toEqual(ordered);
    expect(await seenOrder({ seed: 5 })).toEqual(shuffled);
    expect(await seenOrder({ shuffle: false })).toEqual([...ordered, ...ordered, ...ordered]);
    tf.dispose([x, y, w]);
  });
});
