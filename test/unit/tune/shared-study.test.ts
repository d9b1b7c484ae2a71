// Many processes on one study: trial numbers never duplicate and no result is lost (SQLite file and PostgreSQL).
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { openStore } from "../../../store/index.js";
import { freshSchemaUrl, usePostgres } from "../store/pg-cluster.js";
import { REPO_ROOT } from "../../helpers/jupyter.js";

const run = promisify(execFile);
const WORKER = join(import.meta.dirname, "study-worker.ts");
const directories: string[] = [];
afterAll(() => directories.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function runWorkers(location: string, processes: number, trials: number): Promise<void> {
  const projectDir = mkdtempSync(join(tmpdir(), "labnote-tune-"));
  directories.push(projectDir);
  const barrier = mkdtempSync(join(tmpdir(), "labnote-tune-barrier-"));
  directories.push(barrier);
  const env = { ...process.env, LABNOTE_STORE: location };
  const args = [WORKER, projectDir, "shared", String(trials), barrier, String(processes)];
  await Promise.all(Array.from({ length: processes }, () => run(process.execPath, ["--import", "tsx", ...args], { env, cwd: REPO_ROOT })));
  const store = await openStore(projectDir, { location });
  try {
    const study = (await store.getStudy("shared"))!;
    const stored = await store.listTrials(study.id);
    const numbers = stored.map((t) => t.number).sort((a, b) => a - b);
    expect(new Set(numbers).size).toBe(numbers.length);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i));
    // Every process stops at the study's size; a process may overshoot only by trials it was creating at that moment.
    expect(numbers.length).toBeGreaterThanOrEqual(trials);
    expect(numbers.length).toBeLessThanOrEqual(trials + processes * 2);
    for (const trial of stored) {
      expect(trial.state).toBe("complete");
      expect(trial.value).toBeCloseTo((trial.params["x"] as number) ** 2 + (trial.params["y"] as number) ** 2, 10);
      expect(trial.intermediate).toHaveLength(1);
    }
    expect(new Set(stored.map((t) => t.kernelId)).size).toBe(processes);
  } finally {
    await store.close();
  }
}

describe("one study shared by many processes", () => {
  it("SQLite file: 3 processes × parallel 2, unique numbers, no lost results", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labnote-tune-db-"));
    directories.push(dir);
    await runWorkers(`sqlite:${join(dir, "shared.db")}`, 3, 30);
  });
  const serverUrl = usePostgres();
  it("PostgreSQL: 3 processes × parallel 2, unique numbers, no lost results", async () => {
    await runWorkers(await freshSchemaUrl(serverUrl()), 3, 30);
  });
});
