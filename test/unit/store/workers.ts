// Runs store-worker.ts in child processes (real separate processes, each with its own connection/file handle).
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const WORKER = join(dirname(fileURLToPath(import.meta.url)), "store-worker.ts");
export const WORKER_PROJECT_DIR = "/tmp";

function workerArgs(args: string[]): string[] {
  return ["--import", "tsx", WORKER, ...args];
}

/** Starts `count` workers at once and resolves with each one's stdout (in worker order); rejects if any fails. */
export function runWorkers(count: number, argsFor: (worker: number) => string[]): Promise<string[]> {
  return Promise.all(
    Array.from(
      { length: count },
      (_, worker) =>
        new Promise<string>((resolve, reject) => {
          execFile(process.execPath, workerArgs(argsFor(worker)), { maxBuffer: 64 << 20 }, (error, stdout, stderr) => {
            if (error) reject(new Error(`store worker ${worker} failed: ${error.message}\n${stderr}`));
            else resolve(stdout);
          });
        }),
    ),
  );
}

/** Starts one worker and hands back the process, for tests that kill it. */
export function startWorker(args: string[]): ChildProcess {
  return spawn(process.execPath, workerArgs(args), { stdio: ["ignore", "pipe", "pipe"] });
}
