// labnote shards (.lnshard): "LNSHARD1", a little-endian uint32 header length, a JSON header {columns, rows,
// dtype: "float32"}, then rows × columns float32 values, row-major. Binary rows parse at memory speed.
import { closeSync, openSync, writeSync } from "node:fs";

export interface ShardContents {
  columns: string[];
  /** Row-major values (rows × columns), or one array per row. */
  values: Float32Array | number[][];
}

/** Writes one shard file; returns its row count. */
export function writeShard(path: string, contents: ShardContents): number {
  const { columns } = contents;
  if (columns.length === 0) throw new Error("writeShard: give at least one column name.");
  let values: Float32Array;
  if (contents.values instanceof Float32Array) values = contents.values;
  else {
    values = new Float32Array(contents.values.length * columns.length);
    contents.values.forEach((row, index) => {
      if (row.length !== columns.length) throw new Error(`writeShard: row ${index} has ${row.length} values but there are ${columns.length} columns.`);
      values.set(row, index * columns.length);
    });
  }
  if (values.length % columns.length !== 0) throw new Error(`writeShard: ${values.length} values do not make whole rows of ${columns.length} columns.`);
  const rows = values.length / columns.length;
  const header = Buffer.from(JSON.stringify({ columns, rows, dtype: "float32" }), "utf8");
  const prefix = Buffer.alloc(12);
  prefix.write("LNSHARD1", 0, "latin1");
  prefix.writeUInt32LE(header.length, 8);
  const fd = openSync(path, "w");
  try {
    writeSync(fd, prefix);
    writeSync(fd, header);
    writeSync(fd, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  } finally {
    closeSync(fd);
  }
  return rows;
}
