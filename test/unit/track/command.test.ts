import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeSharedStores, getStore } from "../../../store/index.js";
import { magics } from "../../../magics/track/command.js";
import { MagicError, UsageError, type MagicContext, type MagicResult } from "../../../magics/types.js";
import { args, fakeContext } from "./fakes.js";

const spec = magics[0];
const sub = spec.subcommands!;
let projectDir: string;
let context: ReturnType<typeof fakeContext>;
const ids: Record<string, string> = {};

async function trackCell(name: string, lr: number, body: string, ctx: MagicContext = context.ctx): Promise<MagicResult> {
  return (await spec.cell!.run(args({ name, param: { lr }, tags: ["mlp"] }, {}, body), ctx)) as MagicResult;
}

const trainingBody = (lr: number, steps: number) => `
  let loss = 1;
  for (let step = 0; step < ${steps}; step++) {
    loss = loss * (1 - ${lr});
    run.log({ loss }, { step, split: "train" });
    if (step % 10 === 9) run.log({ loss: loss * 1.1, acc: 1 - loss }, { step, split: "val" });
  }
  run.samples([{ input: "a", pred: 1, label: 1 }, { input: "b", pred: 0, label: 1 }]);
`;

beforeAll(async () => {
  delete process.env.LABNOTE_STORE;
  projectDir = mkdtempSync(join(tmpdir(), "labnote-track-cmd-"));
  context = fakeContext(projectDir, "%%track --name …");
  ids.slow = ((await trackCell("slow", 0.01, trainingBody(0.01, 100))).data as { id: string }).id;
  ids.fast = ((await trackCell("fast", 0.1, trainingBody(0.1, 100))).data as { id: string }).id;
});

afterAll(async () => {
  await closeSharedStores();
});

describe("%%track", () => {
  it("returns the run as data and draws live charts ending with an SVG fallback", async () => {
    const { ctx, events } = fakeContext(projectDir, "%%track --name third\n…");
    const result = await trackCell("third", 0.05, trainingBody(0.05, 50), ctx);
    const data = result.data as { id: string; name: string; params: Record<string, unknown>; metrics: Record<string, number> };
    expect(data.name).toBe("third");
    expect(data.params).toEqual({ lr: 0.05 });
    expect(data.metrics["train.loss"]).toBeCloseTo(0.95 ** 50);
    expect(data.metrics["val.acc"]).toBeCloseTo(1 - 0.95 ** 50);
    expect(result.text).toContain("train.loss");
    expect(result.html).toContain("<table");
    const charts = events.filter((event) => event.data["application/vnd.vegalite.v5+json"]);
    expect(charts.at(-1)?.data["image/svg+xml"]).toBeDefined();
    const stored = await (await getStore(projectDir)).getRun(data.id);
    expect(stored).toMatchObject({ status: "finished", code: "%%track --name third\n…", tags: ["mlp"] });
    expect(stored?.env.node).toBe(process.version);
    await sub.delete.run(args({}, { ID: data.id }), ctx);
  });

  it("marks the run failed when the body throws, keeping what it logged", async () => {
    const body = `run.log({ loss: 1 }, { step: 0 }); run.log({ loss: "high" }, { step: 1 });`;
    await expect(trackCell("broken", 1, body)).rejects.toThrow(/"loss" must be a number, got the string "high"/);
    const store = await getStore(projectDir);
    const [broken] = await store.findRuns({ name: "broken" });
    expect(broken.status).toBe("failed");
    expect((await store.getMetrics(broken.id, { key: "loss" })).map((point) => point.value)).toEqual([1]);
    await store.deleteRun(broken.id);
  });
});

describe("%track runs / show / compare / delete / report", () => {
  it("lists runs filtered with --where and sorted with --sort", async () => {
    const result = (await sub.runs.run(args({ where: "params.lr < 0.05 and val.acc > 0", sort: "-val.acc", limit: 20 }), context.ctx)) as MagicResult;
    const data = result.data as { total: number; runs: Array<{ name: string }> };
    expect(data.runs.map((run) => run.name)).toEqual(["slow"]);
    const all = (await sub.runs.run(args({ sort: "-val.acc", limit: 20 }), context.ctx)) as MagicResult;
    expect((all.data as { runs: Array<{ name: string }> }).runs.map((run) => run.name)).toEqual(["fast", "slow"]);
    expect(all.text).toMatch(/name\s+status/);
    expect(all.html).toContain("val.acc");
    await expect(sub.runs.run(args({ where: "params.lr <" }), context.ctx)).rejects.toThrow(UsageError);
  });

  it("shows a run by name or id prefix, with curves and paged samples", async () => {
    const { ctx, events } = fakeContext(projectDir);
    const byName = (await sub.show.run(args({}, { ID: "fast" }), ctx)) as MagicResult;
    expect((byName.data as { id: string }).id).toBe(ids.fast);
    const byPrefix = (await sub.show.run(args({}, { ID: ids.fast.slice(0, 16) }), ctx)) as MagicResult;
    expect((byPrefix.data as { samples: number }).samples).toBe(2);
    expect(events.some((event) => event.data["application/vnd.vegalite.v5+json"])).toBe(true);
    expect(events.some((event) => String(event.data["text/html"] ?? "").includes("rows 1–2"))).toBe(true);
  });

  it("names missing and ambiguous runs and says what to do", async () => {
    await expect(sub.show.run(args({}, { ID: "nope" }), context.ctx)).rejects.toThrow(/No run matches "nope".*Recent runs: .*%track runs/);
    await expect(sub.compare.run(args({}, { ID: ["fast", "missing-run"] }), context.ctx)).rejects.toThrow(MagicError);
    await expect(sub.compare.run(args({}, { ID: ["fast"] }), context.ctx)).rejects.toThrow(/at least two runs/);
    const common = ids.fast.slice(0, 4) === ids.slow.slice(0, 4) ? ids.fast.slice(0, 4) : undefined;
    if (common) await expect(sub.show.run(args({}, { ID: common }), context.ctx)).rejects.toThrow(/matches several runs.*more characters/);
  });

  it("compares runs: overlaid curves, param and metric diffs, identical code", async () => {
    const { ctx, events } = fakeContext(projectDir);
    const result = (await sub.compare.run(args({}, { ID: ["slow", "fast"] }), ctx)) as MagicResult;
    const data = result.data as { params: Array<{ key: string; values: unknown[]; differs: boolean }>; metrics: Array<{ key: string; differs: boolean }>; code: string[] };
    expect(data.params).toEqual([{ key: "lr", values: [0.01, 0.1], differs: true }]);
    expect(data.metrics.find((row) => row.key === "val.acc")?.differs).toBe(true);
    expect(data.code).toEqual([""]);
    const chart = events.find((event) => event.data["application/vnd.vegalite.v5+json"])!;
    expect(JSON.stringify(chart.data["application/vnd.vegalite.v5+json"])).toContain('"run":"fast"');
    expect(result.html).toContain("background:#fff3cd");
  });

  it("writes a standalone HTML report with inline SVG, only inside the project", async () => {
    const result = (await sub.report.run(args({ out: "reports/fast.html" }, { ID: "fast" }), context.ctx)) as MagicResult;
    const html = readFileSync(join(projectDir, "reports", "fast.html"), "utf8");
    expect(html).toContain("<svg");
    expect(html).toContain("run fast");
    expect((result.data as { path: string }).path).toBe(join(projectDir, "reports", "fast.html"));
    await expect(sub.report.run(args({ out: "../outside.html" }, { ID: "fast" }), context.ctx)).rejects.toThrow(/outside the project directory/);
    expect(existsSync(join(projectDir, "..", "outside.html"))).toBe(false);
  });

  it("deletes a run and its points", async () => {
    const store = await getStore(projectDir);
    const result = (await sub.delete.run(args({}, { ID: "slow" }), context.ctx)) as MagicResult;
    expect(result.data).toEqual({ deleted: { id: ids.slow, name: "slow" } });
    expect(await store.getRun(ids.slow)).toBeUndefined();
    expect(await store.getMetrics(ids.slow)).toEqual([]);
  });
});
