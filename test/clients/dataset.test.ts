// A notebook cell trains with trainLoop on a streamed dataset through the real kernel (nbclient): the hash of the
// bytes the dataset read is in the %track run and in the cell's %version snapshot, equal to the file's SHA-256.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook } from "../helpers/jupyter.js";

const git = (cwd: string, ...args: string[]): string => execFileSync("git", args, { cwd, encoding: "utf8" });

describe("dataset through the labnote kernel", () => {
  it("records the streamed file's hash in the run and in the cell's snapshot", async () => {
    const projectDir = join(ARTIFACTS, `dataset-notebook-${Date.now()}`);
    mkdirSync(join(projectDir, "data"), { recursive: true });
    const lines = Array.from({ length: 2000 }, (_, i) => {
      const a = (i % 40) / 20 - 1;
      const b = Math.floor(i / 40) / 25 - 1;
      return `${a},${b},${(2 * a - b + 0.5).toFixed(4)}`;
    });
    const csv = `a,b,y\n${lines.join("\n")}\n`;
    writeFileSync(join(projectDir, "data", "train.csv"), csv);
    const sha256 = createHash("sha256").update(csv).digest("hex");
    git(projectDir, "init", "-q", "-b", "main");
    const notebook = join(projectDir, "stream.ipynb");
    writeNotebook(notebook, [
      [
        "%%track --name stream-train",
        'import { dataset, trainLoop } from "labnote";',
        'const ds = dataset("data/train.csv", { label: "y", batchSize: 100, shuffle: 500, seed: 1, workers: 1 });',
        "const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });",
        'model.compile({ optimizer: tf.train.adam(0.05), loss: "meanSquaredError" });',
        "const result = await trainLoop({ model, data: ds, epochs: 3 });",
        "display.json({ steps: result.steps, first: result.losses[0], last: result.finalLoss, hashes: ds.hashes() });",
      ].join("\n"),
      ['import { getStore } from "labnote";', "const store = await getStore(process.cwd());", 'display.json({ runHashes: (await store.findRuns({ name: "stream-train" }))[0]!.dataHashes });'].join("\n"),
    ]);
    const nb = await executeNotebook(notebook, { cwd: projectDir, timeoutSec: 240, env: { LABNOTE_AUTOSNAPSHOT: "on", LABNOTE_WIDGETS: "off" } });
    const outputs = allOutputs(nb);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);
    const shown = outputs.map((output) => (output.data as Record<string, unknown> | undefined)?.["application/json"] as Record<string, unknown> | undefined).filter((value) => value !== undefined);
    const trained = shown.find((value) => "steps" in value) as { steps: number; first: number; last: number; hashes: Record<string, string> };
    expect(trained.steps).toBe(3 * 20);
    expect(trained.last).toBeLessThan(trained.first);
    expect(trained.hashes).toEqual({ [join(projectDir, "data", "train.csv")]: sha256 });
    expect(shown.find((value) => "runHashes" in value)).toEqual({ runHashes: { "data/train.csv": sha256 } });

    // The training cell's snapshot (refs/labnote/notebook/cells: nbclient does not name the notebook) has the same hash.
    const commits = git(projectDir, "log", "--format=%H", "refs/labnote/notebook/cells").trim().split("\n");
    const records = commits.map((commit) => ({ code: git(projectDir, "show", `${commit}:cell.ts`), record: JSON.parse(git(projectDir, "show", `${commit}:cell.json`)) as { data: { files: { path: string; sha256: string; size: number }[] } } }));
    const trainingCell = records.find((entry) => entry.code.includes("trainLoop"))!;
    expect(trainingCell.record.data.files).toEqual([{ path: "data/train.csv", size: Buffer.byteLength(csv), sha256 }]);
    expect(readFileSync(join(projectDir, ".labnote", "state-cache.json"), "utf8")).toContain(sha256);
  }, 300_000);
});
