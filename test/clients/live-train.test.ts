// A wasm trainLoop in the kernel is live in `labnote ui` while it trains. Its awaits all resolve as microtasks, so
// before trainLoop let the event loop run every 200 ms, nothing else in the kernel ran until the loop ended: the
// run was not even registered in the store (and no point written) until the last step, and the dashboard saw it
// only when it had finished. Here nbclient runs the cell while the test polls the dashboard's API: the run must be
// seen `running` with its loss points growing, before the cell ends.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook } from "../helpers/jupyter.js";
import { startUiServer, type UiServer } from "../helpers/ui-server.js";

const project = join(ARTIFACTS, "live-train", `run-${Date.now()}`);
let server: UiServer | undefined;
afterAll(async () => server?.stop());

type Runs = { runs: Array<{ id: string; name: string; status: string }> };
type Detail = { run: { status: string }; series: Array<{ key: string; split: string; points: number }> };

describe("a wasm trainLoop is live in the dashboard while it trains", () => {
  it("shows the run running, with loss points that grow, before the cell ends", async () => {
    mkdirSync(project, { recursive: true });
    writeNotebook(join(project, "live-train.ipynb"), [
      "%backend wasm",
      [
        'import { trainLoop } from "labnote";',
        "const model = tf.sequential();",
        'model.add(tf.layers.dense({ units: 64, inputShape: [32], activation: "relu" }));',
        'model.add(tf.layers.dense({ units: 64, activation: "relu" }));',
        "model.add(tf.layers.dense({ units: 1 }));",
        'const x = tf.randomNormal([512, 32], 0, 1, "float32", 1);',
        "const y = tf.sum(tf.square(x), 1, true);",
      ].join("\n"),
      ["%%track --name live-train", 'const result = await trainLoop({ model, loss: "meanSquaredError", optimizer: tf.train.adam(1e-3), data: { x, y }, batchSize: 32, steps: 6000 });', "result.steps"].join("\n"),
    ]);
    let finished = false;
    const notebook = executeNotebook(join(project, "live-train.ipynb"), { cwd: project, timeoutSec: 300, env: { LABNOTE_STORE: "" }, outputPath: join(project, "live-train.executed.ipynb") }).finally(() => (finished = true));
    // The kernel and the dashboard share the project's SQLite store, which the run creates.
    const storeFile = join(project, ".labnote", "labnote.db");
    while (!existsSync(storeFile) && !finished) await new Promise((resolve) => setTimeout(resolve, 100));
    server = await startUiServer(["--store", storeFile, "--port", "0"], { ...process.env, LABNOTE_STORE: "" });

    // Loss points of the run while it is running, as the dashboard serves them; stops once two readings grew.
    const seen: number[] = [];
    const origin = server.origin;
    const lossPointsWhileRunning = async (): Promise<number | undefined> => {
      const runs = (await (await fetch(`${origin}/api/runs`)).json()) as Runs;
      const run = runs.runs.find((row) => row.name === "live-train");
      if (!run) return undefined;
      const detail = (await (await fetch(`${origin}/api/runs/${encodeURIComponent(run.id)}`)).json()) as Detail;
      if (detail.run.status !== "running") return undefined;
      return detail.series.find((series) => series.split === "train" && series.key === "loss")?.points;
    };
    while (!finished) {
      const points = await lossPointsWhileRunning().catch(() => undefined);
      if (points !== undefined && points > 0 && (seen.length === 0 || points > seen[seen.length - 1]!)) seen.push(points);
      if (seen.length >= 2) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(finished, "the cell ended before the dashboard saw the run's loss grow while it was running").toBe(false);
    expect(seen.length).toBe(2);
    expect(seen[1]!).toBeGreaterThan(seen[0]!);

    const outputs = allOutputs(await notebook);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);
    const runs = (await (await fetch(`${origin}/api/runs`)).json()) as Runs;
    const run = runs.runs.find((row) => row.name === "live-train")!;
    const detail = (await (await fetch(`${origin}/api/runs/${encodeURIComponent(run.id)}`)).json()) as Detail;
    expect(detail.run.status).toBe("finished");
    expect(detail.series.find((series) => series.split === "train" && series.key === "loss")?.points).toBe(6000);
  });
});
