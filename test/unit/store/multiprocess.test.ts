// Several processes writing one store at once, and a writer killed with SIGKILL mid-write.
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../../store/index.js";
import type { MetricPoint } from "../../../store/types.js";
import { freshSchemaUrl, usePostgres } from "./pg-cluster.js";
import { runWorkers, startWorker } from "./workers.js";

const root = mkdtempSync(join(tmpdir(), "labnote-multiprocess-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const serverUrl = usePostgres();

function expectEveryStep(points: MetricPoint[], key: string, total: number): void {
  const steps = points.filter((point) => point.key === key).map((point) => point.step);
  expect(steps.length).toBe(total);
  expect(new Set(steps).size).toBe(total);
  expect(Math.max(...steps)).toBe(total - 1);
}

describe("many processes, one store", () => {
  it("four processes opening a brand-new SQLite file at once create its schema once and keep every run", async () => {
    const path = join(root, "brand-new.db");
    await runWorkers(4, (worker) => ["create-runs", `sqlite:${path}`, `kernel${worker}`, "25"]);
    const store = await openStore(root, { location: `sqlite:${path}` });
    const runs = await store.findRuns();
    expect(runs.length).toBe(100);
    for (let worker = 0; worker < 4; worker++) expect(runs.filter((run) => run.name === `kernel${worker}`).length).toBe(25);
    expect(new Set(runs.map((run) => run.id)).size).toBe(100);
    await store.close();
  });

  it("two processes appending into one SQLite file at once lose no point", async () => {
    const location = `sqlite:${join(root, "two-writers.db")}`;
    const store = await openStore(root, { location });
    const run = await store.createRun({ name: "shared" });
    await runWorkers(2, (worker) => ["append-metrics", location, run.id, `writer${worker}`, "40", "2500"]);
    const points = await store.getMetrics(run.id);
    expect(points.length).toBe(200_000);
    expectEveryStep(points, "writer0", 100_000);
    expectEveryStep(points, "writer1", 100_000);
    await store.close();
  });

  it("eight processes appending into one PostgreSQL store at once lose no point", async () => {
    const location = await freshSchemaUrl(serverUrl());
    const store = await openStore(root, { location });
    const run = await store.createRun({ name: "shared" });
    await runWorkers(8, (worker) => ["append-metrics", location, run.id, `writer${worker}`, "20", "1000"]);
    const points = await store.getMetrics(run.id);
    expect(points.length).toBe(160_000);
    for (let worker = 0; worker < 8; worker++) expectEveryStep(points, `writer${worker}`, 20_000);
    await store.close();
  });

  it("a writer killed with SIGKILL mid-write leaves a SQLite file that opens cleanly with every committed batch", async () => {
    const path = join(root, "killed.db");
    const location = `sqlite:${path}`;
    const setup = await openStore(root, { location });
    const run = await setup.createRun({ name: "doomed" });
    await setup.close();

    const batchSize = 5000;
    const writer = startWorker(["append-forever", location, run.id, String(batchSize)]);
    const reportedCommitted = await new Promise<number>((resolve, reject) => {
      let output = "";
      writer.stdout!.on("data", (chunk: Buffer) => {
        output += chunk.toString();
        const committed = [...output.matchAll(/committed (\d+)\n/g)].map((match) => Number(match[1]));
        // Kill during the stream of writes, after several batches are known to be committed.
        if (committed.length && committed.at(-1)! >= 6) {
          writer.kill("SIGKILL");
          resolve(committed.at(-1)!);
        }
      });
      writer.on("exit", (code, signal) => {
        if (signal !== "SIGKILL") reject(new Error(`writer exited on its own (code ${code}): ${output}`));
      });
    });
    if (writer.exitCode === null && writer.signalCode === null) await once(writer, "exit");

    const db = new Database(path);
    expect(db.pragma("integrity_check", { simple: true })).toBe("ok");
    db.close();
    const store = await openStore(root, { location });
    const points = await store.getMetrics(run.id);
    // Every batch reported committed is there; a batch is all or nothing, so the count is a whole number of batches.
    expect(points.length).toBeGreaterThanOrEqual(reportedCommitted * batchSize);
    expect(points.length % batchSize).toBe(0);
    expect(points.map((point) => point.step)).toEqual(Array.from({ length: points.length }, (_, step) => step));
    await store.close();
  });
});
