// Worker thread entry for the row diff: scans one table file and sends the scan back, its arrays transferred.
import { parentPort, workerData } from "node:worker_threads";
import { scanTable, TableFormatError, type ScanOptions } from "./row-scan.js";

const { path, options, size } = workerData as { path: string; options: ScanOptions; size: number };
try {
  const scan = scanTable(path, options, size);
  const transfer = [scan.identityHigh, scan.identityLow, scan.contentHigh, scan.contentLow, scan.offsets, scan.lengths, scan.lines].map((array) => array.buffer as ArrayBuffer);
  parentPort!.postMessage({ scan }, transfer);
} catch (error) {
  const formatError = error instanceof TableFormatError;
  parentPort!.postMessage({ error: { message: error instanceof Error ? error.message : String(error), formatError, ...(formatError ? { path: error.path, line: error.line, problem: error.problem } : {}) } });
}
