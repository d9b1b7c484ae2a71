// %track ui through a real Jupyter client (nbclient on the labnote kernel): it starts the dashboard for the kernel's
// store, shows the link as HTML and application/json, the dashboard serves the run just tracked, and it ends with the kernel.
import { mkdirSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, writeNotebook } from "../helpers/jupyter.js";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe("%track ui", () => {
  it("starts the dashboard for the kernel's store, which serves the kernel's runs and stops with the kernel", async () => {
    const projectDir = join(ARTIFACTS, `track-ui-${Date.now()}`);
    mkdirSync(projectDir, { recursive: true });
    const port = await freePort();
    const notebook = join(projectDir, "ui.ipynb");
    writeNotebook(notebook, [
      '%%track --name ui-demo --param lr=0.01\nfor (let step = 0; step < 50; step++) run.log({ loss: 1 / (step + 1) }, { step, split: "train" });',
      `%track ui --port ${port}`,
      `%track ui --port ${port}`,
      `const base = "http://127.0.0.1:${port}";\n` +
        `const listedResponse = await fetch(base + "/api/runs?where=" + encodeURIComponent("name ~ /ui-/"));\n` +
        `const listed: any = await listedResponse.json();\n` +
        `const curveResponse = await fetch(base + "/api/runs/" + listed.runs[0].id + "/metrics/loss?buckets=10");\n` +
        `const curve: any = await curveResponse.json();\n` +
        `display.json({ names: listed.runs.map((r: any) => r.name), loss: listed.runs[0].metrics["train.loss"], points: curve.series[0].points });`,
    ]);
    const nb = await executeNotebook(notebook, { cwd: projectDir, timeoutSec: 180 });
    const outputs = allOutputs(nb);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);
    const results = outputs.filter((output) => output.output_type === "execute_result");
    const started = results.find((output) => output.cell === 1)!.data as Record<string, unknown>;
    const info = started["application/json"] as { url: string; alreadyRunning: boolean; store: string };
    expect(info.url).toBe(`http://127.0.0.1:${port}/`);
    expect(info.alreadyRunning).toBe(false);
    expect(info.store).toBe(`sqlite:${join(projectDir, ".labnote", "labnote.db")}`);
    expect(String(started["text/html"])).toContain(`<a href="http://127.0.0.1:${port}/"`);
    expect((results.find((output) => output.cell === 2)!.data as Record<string, { alreadyRunning: boolean }>)["application/json"]!.alreadyRunning).toBe(true);
    const served = (outputs.find((output) => output.cell === 3 && output.output_type === "display_data")!.data as Record<string, unknown>)["application/json"] as {
      names: string[];
      loss: { last: number; min: number; max: number };
      points: number;
    };
    expect(served).toEqual({ names: ["ui-demo"], loss: { last: 1 / 50, min: 1 / 50, max: 1 }, points: 50 });
    // The kernel is gone after nbclient finishes: so is its dashboard.
    let refused = false;
    for (let attempt = 0; attempt < 40 && !refused; attempt++) {
      refused = await fetch(`http://127.0.0.1:${port}/api/info`).then(
        () => false,
        () => true,
      );
      if (!refused) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(refused).toBe(true);
  }, 240_000);
});
