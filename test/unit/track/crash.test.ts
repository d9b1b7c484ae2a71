// Durability: kill -9 mid-run loses at most the last flush interval, the store opens cleanly, the run is marked
// crashed; two processes logging into one SQLite store lose no point.
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { describe, expect, it } from "vitest";
import { openStore } from "../../../store/index.js";

const CHILD = join(import.meta.dirname, "crash-child.ts");

function startChild(projectDir: string, name: string, steps: number, pauseMs = 250, mode = "async") {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD, projectDir, name, String(steps), String(pauseMs), mode], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, LABNOTE_STORE: "" } });
  const lines = createInterface({ input: child.stdout! });
  return { child, lines };
}

async function killAfterDurable(mode: "async" | "sync", atLeast: number): Promise<void> {
    const projectDir = mkdtempSync(join(tmpdir(), "labnote-crash-"));
    const { child, lines } = startChild(projectDir, "doomed", 0, 250, mode);
    let runId = "";
    let durable = -1;
    await new Promise<void>((resolve) => {
      lines.on("line", (line) => {
        if (line.startsWith("run ")) runId = line.slice(4);
        if (line.startsWith("durable ")) {
          durable = Number(line.slice(8));
          if (durable >= atLeast) {
            child.kill("SIGKILL");
            resolve();
          }
        }
      });
    });
    await new Promise((resolve) => child.once("exit", resolve));
    const store = await openStore(projectDir);
    try {
      const points = await store.getMetrics(runId, { key: "loss", split: "train" });
      const steps = new Set(points.map((point) => point.step));
      for (let step = 0; step <= durable; step++) expect(steps.has(step)).toBe(true);
      expect((await store.getRun(runId))?.status).toBe("running");
      expect(await store.markStaleRuns(Date.now() + 1)).toContain(runId);
      expect((await store.getRun(runId))?.status).toBe("crashed");
    } finally {
      await store.close();
    }
}

describe("tracking durability", () => {
  it("kill -9 mid-run keeps every point older than the flush interval; the run is then marked crashed", async () => {
    await killAfterDurable("async", 2999);
  });

  it("kill -9 during a loop that never yields still keeps the points logged 2 s before (background writer thread)", async () => {
    await killAfterDurable("sync", 1000);
  });

  it("two processes logging into one SQLite store lose no point", async () => {
    const projectDir = mkdtempSync(join(tmpdir(), "labnote-two-"));
    const children = ["a", "b"].map((name) => startChild(projectDir, name, 20_000, 5));
    await Promise.all(children.map(({ child }) => new Promise((resolve) => child.once("exit", resolve))));
    expect(children.map(({ child }) => child.exitCode)).toEqual([0, 0]);
    const store = await openStore(projectDir);
    try {
      const runs = await store.findRuns({});
      expect(runs.map((run) => run.status).sort()).toEqual(["finished", "finished"]);
      for (const run of runs) expect(await store.getMetrics(run.id, { key: "loss", split: "train" })).toHaveLength(20_000);
    } finally {
      await store.close();
    }
  });
});
