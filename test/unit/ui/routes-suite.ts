// The labnote ui API over one store kind: real HTTP against an in-process server (startUiServer on a free port).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunRecord, Store } from "../../../store/types.js";
import type { ApiError, CompareResponse, GroupsResponse, MetricSeriesResponse, RunDetailResponse, RunsResponse, StudiesResponse, StudyDetailResponse } from "../../../ui/api.js";
import { startUiServer, type RunningUiServer } from "../../../ui/server/server.js";
import { getJson, seedRuns, SPIKE } from "./fixtures.js";

export function uiRoutesSuite(name: string, openStore: () => Promise<Store>): void {
  describe(`labnote ui API over ${name}`, () => {
    let store: Store;
    let server: RunningUiServer;
    let writable: RunningUiServer;
    let runs: RunRecord[];
    let project: string;
    let base: string;

    beforeAll(async () => {
      store = await openStore();
      runs = await seedRuns(store);
      project = mkdtempSync(join(tmpdir(), "labnote-ui-"));
      const pageDir = join(project, "page");
      mkdirSync(join(pageDir, "assets"), { recursive: true });
      writeFileSync(join(pageDir, "index.html"), "<!doctype html><title>labnote page</title>");
      writeFileSync(join(pageDir, "assets", "app.js"), "console.log('page')");
      const artifactsRoot = join(project, ".labnote", "artifacts");
      mkdirSync(join(artifactsRoot, runs[0]!.id), { recursive: true });
      writeFileSync(join(artifactsRoot, runs[0]!.id, "model.json"), '{"weights":[1,2]}');
      writeFileSync(join(project, "secret.txt"), "not for download");
      await store.addArtifact({ runId: runs[0]!.id, name: "model.json", location: join(artifactsRoot, runs[0]!.id, "model.json"), sha256: "a".repeat(64), size: 17, createdAt: 1 });
      await store.addArtifact({ runId: runs[0]!.id, name: "escaped.txt", location: join(project, "secret.txt"), sha256: "b".repeat(64), size: 16, createdAt: 2 });
      const common = { store, storeLocation: name, project, artifactsRoot, port: 0, pageDir };
      server = await startUiServer(common);
      writable = await startUiServer({ ...common, allowDelete: true });
      base = server.url;
    }, 120_000);

    afterAll(async () => {
      await server?.close();
      await writable?.close();
      await store?.close();
      rmSync(project, { recursive: true, force: true });
    });

    it("pages and sorts 30 runs on the server, with the columns seen", async () => {
      const first = await getJson<RunsResponse>(base, "/api/runs?limit=10");
      expect(first.status).toBe(200);
      expect(first.body.total).toBe(30);
      expect(first.body.runs.map((run) => run.name)).toEqual(runs.slice(20).reverse().map((run) => run.name)); // newest first
      expect(first.body.columns).toEqual({ params: ["act", "lr", "width"], metrics: ["val.acc"] });
      const page = await getJson<RunsResponse>(base, "/api/runs?sort=params.lr&limit=5&offset=10");
      expect(page.body.offset).toBe(10);
      expect(page.body.runs.map((run) => run.params.lr)).toEqual([0.011, 0.012, 0.013, 0.014, 0.015]);
      const byMetric = await getJson<RunsResponse>(base, "/api/runs?sort=-val.acc&limit=2");
      expect(byMetric.body.runs.map((run) => run.metrics["val.acc"]?.last)).toEqual([29 / 30, 28 / 30]);
      const withCurve = (await getJson<RunsResponse>(base, `/api/runs?where=${encodeURIComponent(`id == "${runs[0]!.id}"`)}`)).body.runs[0]!;
      expect(withCurve.metrics["train.loss"]).toEqual({ last: 1 / 100_000, min: 1 / 100_000, max: SPIKE });
      expect(withCurve).toMatchObject({ backend: "cpu", duration: 0.5, status: "finished", tags: ["baseline"] });
    });

    it("filters with or, in, between and regex", async () => {
      const names = async (where: string) => (await getJson<RunsResponse>(base, `/api/runs?limit=1000&where=${encodeURIComponent(where)}`)).body.runs.map((run) => run.name).sort();
      expect(await names('name ~ /^cnn-/ or params.lr between 0.0285 and 0.05')).toEqual(["cnn-0", "cnn-10", "cnn-20", "mlp-28", "mlp-29"]);
      expect(await names('params.act in ("gelu") and tags contains baseline and val.acc > 0.5')).toEqual(["cnn-20", "mlp-26"]);
      expect(await names("not name ~ /mlp/ and params.lr < 0.015")).toEqual(["cnn-0", "cnn-10"]);
    });

    it("answers a malformed query with 400 and the position, and bad parameters with 400", async () => {
      const bad = await getJson<ApiError>(base, `/api/runs?where=${encodeURIComponent("params.lr < 0.1 val.acc")}`);
      expect(bad.status).toBe(400);
      expect(bad.body.position).toBe(17);
      expect(bad.body.error).toMatch(/unexpected "val.acc" at position 17/);
      const regex = await getJson<ApiError>(base, `/api/runs?where=${encodeURIComponent("name ~ /(/")}`);
      expect([regex.status, regex.body.position]).toEqual([400, 8]);
      expect((await getJson<ApiError>(base, "/api/runs?limit=-4")).status).toBe(400);
      expect((await getJson<ApiError>(base, "/api/runs?offset=x")).body.error).toMatch(/"offset" must be a whole number/);
      expect((await getJson<ApiError>(base, "/api/runs?sort=val.acc;drop")).status).toBe(400);
      expect((await getJson<ApiError>(base, "/api/runs?limit=1&limit=2")).status).toBe(400);
      expect((await getJson<ApiError>(base, `/api/runs/${runs[0]!.id}/metrics/loss?buckets=0`)).status).toBe(400);
      expect((await getJson<ApiError>(base, "/api/compare?ids=onlyone")).status).toBe(400);
      expect((await getJson<ApiError>(base, "/api/runs/groups?by=params.act")).status).toBe(400);
      expect((await getJson<ApiError>(base, "/api/runs/nope")).status).toBe(404);
      expect((await getJson<ApiError>(base, "/api/nothing-here")).status).toBe(404);
    });

    it("buckets a 100,000-point curve into min/max/last buckets that keep a single spike", async () => {
      const { status, body } = await getJson<MetricSeriesResponse>(base, `/api/runs/${runs[0]!.id}/metrics/loss?buckets=100`);
      expect(status).toBe(200);
      const train = body.series.find((series) => series.split === "train")!;
      expect(train.points).toBe(100_000);
      expect(train.buckets.length).toBeLessThanOrEqual(100);
      expect(train.buckets.length).toBeGreaterThan(90);
      expect(train.buckets.reduce((sum, bucket) => sum + bucket.count, 0)).toBe(100_000);
      const spiked = train.buckets.filter((bucket) => bucket.max === SPIKE);
      expect(spiked).toHaveLength(1);
      expect(spiked[0]!.x0).toBeLessThanOrEqual(73_123);
      expect(spiked[0]!.x1).toBeGreaterThanOrEqual(73_123);
      expect(spiked[0]!.last).toBe(1 / (1 + spiked[0]!.x1));
      expect(train.buckets.at(-1)).toMatchObject({ x1: 99_999, last: 1 / 100_000, min: 1 / 100_000 });
      const val = body.series.find((series) => series.split === "val")!;
      expect(val.buckets).toEqual([0, 1, 2].map((step) => ({ x0: step, x1: step, min: 2 - step / 2, max: 2 - step / 2, last: 2 - step / 2, t: 1_700_000_000_000 + step, count: 1 })));
      const small = await getJson<MetricSeriesResponse>(base, `/api/runs/${runs[1]!.id}/metrics/loss?buckets=3&split=train`);
      expect(small.body.series[0]!.buckets.map((bucket) => [bucket.x0, bucket.x1, bucket.max, bucket.last])).toEqual([
        [0, 2, 1, 1 / 3],
        [3, 5, 1 / 4, 1 / 6],
        [6, 9, 1 / 7, 1 / 10],
      ]);
      const after = await getJson<MetricSeriesResponse>(base, `/api/runs/${runs[1]!.id}/metrics/loss?after=7`);
      expect(after.body.series[0]!.buckets.map((bucket) => bucket.x0)).toEqual([8, 9]);
      const missing = await getJson<ApiError>(base, `/api/runs/${runs[0]!.id}/metrics/acc`);
      expect(missing.status).toBe(404);
      expect(missing.body.error).toMatch(/has no metric "acc"; it has train.loss, val.loss/);
    });

    it("shows one run with its series, artifacts and samples", async () => {
      await store.appendSamples(Array.from({ length: 12 }, (_, index) => ({ runId: runs[0]!.id, index, input: `text ${index}`, pred: index % 2, label: 1 })));
      const { body } = await getJson<RunDetailResponse>(base, `/api/runs/${runs[0]!.id}`);
      expect(body.run.code).toContain("const lr = 0.001");
      expect(body.series.map((series) => `${series.split}.${series.key}:${series.points}`)).toEqual(["train.loss:100000", "val.loss:3"]);
      expect(body.artifacts.map((artifact) => artifact.name)).toEqual(["model.json", "escaped.txt"]);
      expect(body.sampleCount).toBe(12);
      const samples = await getJson<{ total: number; rows: { index: number }[] }>(base, `/api/runs/${runs[0]!.id}/samples?offset=10&limit=5`);
      expect([samples.body.total, samples.body.rows.map((row) => row.index)]).toEqual([12, [10, 11]]);
      const filtered = await getJson<{ total: number; rows: { index: number }[] }>(base, `/api/runs/${runs[0]!.id}/samples?filter=${encodeURIComponent("text 1")}`);
      expect(filtered.body.rows.map((row) => row.index)).toEqual([1, 10, 11]);
    });

    it("downloads artifacts only from inside the artifact store: ../ and absolute paths get 404", async () => {
      const id = runs[0]!.id;
      const ok = await fetch(new URL(`/api/runs/${id}/artifacts/model.json`, base));
      expect(ok.status).toBe(200);
      expect(await ok.text()).toBe('{"weights":[1,2]}');
      for (const path of ["..%2F..%2Fsecret.txt", "../../secret.txt", "%2Fetc%2Fpasswd", "%2E%2E/%2E%2E/%2E%2E/secret.txt", "escaped.txt", "missing.bin"]) {
        const response = await fetch(new URL(`/api/runs/${id}/artifacts/${path}`, base));
        expect(response.status, path).toBe(404);
        expect(await response.text()).not.toContain("not for download");
      }
    });

    it("groups by a param with mean/min/max of a metric", async () => {
      const { body } = await getJson<GroupsResponse>(base, "/api/runs/groups?by=params.act&metric=val.acc");
      const relu = body.groups.find((group) => group.value === "relu")!;
      expect(relu.count).toBe(10);
      expect(relu.min).toBe(0);
      expect(relu.max).toBeCloseTo(27 / 30);
      expect(relu.mean).toBeCloseTo(13.5 / 30);
      const tags = await getJson<GroupsResponse>(base, "/api/runs/groups?by=tags&metric=val.acc");
      expect(tags.body.groups.map((group) => [group.value, group.count])).toEqual([
        ["baseline", 15],
        ["wide", 15],
      ]);
    });

    it("compares runs like %track compare: rows, code diff and the overlaid chart", async () => {
      const { status, body } = await getJson<CompareResponse>(base, `/api/compare?ids=${runs[0]!.id},${runs[1]!.id}&differencesOnly=1`);
      expect(status).toBe(200);
      expect(body.runs.map((run) => run.id)).toEqual([runs[0]!.id, runs[1]!.id]);
      expect(body.rows.find((row) => row.section === "params" && row.key === "lr")).toEqual({ section: "params", key: "lr", values: [0.001, 0.002], different: true });
      expect(body.rows.every((row) => row.different)).toBe(true);
      expect(body.codeDiffs[0]!.diff).toContain("+ const lr = 0.002;");
      expect(JSON.stringify(body.chart)).toContain("vega-lite");
      expect((await getJson<ApiError>(base, `/api/compare?ids=${runs[0]!.id},ffffffffffffffffffff`)).status).toBe(404);
    });

    it("lists studies and shows one with the %%tune charts", async () => {
      const study = await store.ensureStudy("width-search", "minimize", { sampler: "random", seed: 3 });
      for (let index = 0; index < 6; index++) {
        const width = 16 * (index + 1);
        const trial = await store.createTrial(study.id, { params: { width }, distributions: { width: { type: "int", name: "width", low: 16, high: 128, log: false, step: 1 } } });
        await store.updateTrial(trial.id, { state: index === 5 ? "pruned" : "complete", value: Math.abs(width - 64) / 64, endedAt: Date.now() });
      }
      const list = await getJson<StudiesResponse>(base, "/api/studies");
      expect(list.body.studies.map((one) => [one.name, one.trials, one.complete, one.pruned])).toEqual([["width-search", 6, 5, 1]]);
      expect(list.body.studies[0]!.best).toEqual({ value: 0, params: { width: 64 }, trial: 3 });
      const detail = await getJson<StudyDetailResponse>(base, "/api/studies/width-search");
      expect(detail.body.trials).toHaveLength(6);
      expect(JSON.stringify(detail.body.charts.history)).toContain("optimisation history");
      expect(detail.body.charts.parallel).not.toBeNull();
      expect((await getJson<ApiError>(base, "/api/studies/none")).status).toBe(404);
    });

    it("deletes only when started with --allow-delete (403 otherwise)", async () => {
      const victim = await store.createRun({ name: "to-delete", status: "finished" });
      const refused = await getJson<ApiError>(base, `/api/runs/${victim.id}`, { method: "DELETE" });
      expect(refused.status).toBe(403);
      expect(refused.body.error).toMatch(/--allow-delete/);
      const deleted = await getJson<{ deleted: string }>(writable.url, `/api/runs/${victim.id}`, { method: "DELETE" });
      expect(deleted).toMatchObject({ status: 200, body: { deleted: victim.id } });
      expect((await getJson<ApiError>(base, `/api/runs/${victim.id}`)).status).toBe(404);
    });

    it("serves the page for every view path and its assets; /api/info", async () => {
      for (const path of ["/", "/runs", "/run/abc", "/curves?runs=a,b", "/studies/x"]) {
        const response = await fetch(new URL(path, base));
        expect(response.status, path).toBe(200);
        expect(await response.text()).toContain("labnote page");
      }
      const asset = await fetch(new URL("/assets/app.js", base));
      expect(asset.headers.get("content-type")).toMatch(/javascript/);
      expect((await fetch(new URL("/assets/missing.js", base))).status).toBe(404);
      const info = await getJson<{ allowDelete: boolean; store: { kind: string } }>(base, "/api/info");
      expect(info.body).toMatchObject({ allowDelete: false, store: { kind: store.kind } });
    });

    it("streams a newly appended point and the run's change over /api/live within a second or two", async () => {
      const live = await store.createRun({ name: "live-run" });
      const controller = new AbortController();
      const response = await fetch(new URL(`/api/live?runs=${live.id}`, base), { signal: controller.signal });
      expect(response.headers.get("content-type")).toMatch(/text\/event-stream/);
      const reader = response.body!.getReader();
      const decoder = new TextDecoder();
      let text = "";
      const read = async (until: (text: string) => boolean): Promise<void> => {
        while (!until(text)) {
          const { value, done } = await reader.read();
          if (done) throw new Error(`stream ended: ${text}`);
          text += decoder.decode(value);
        }
      };
      await read((seen) => seen.includes(": labnote live"));
      await store.appendMetrics([{ runId: live.id, key: "loss", split: "train", step: 41, value: 0.25, wallTime: 123 }]);
      await store.updateRun(live.id, { status: "finished", endedAt: Date.now() });
      await read((seen) => seen.includes('"type":"points"') && seen.includes('"type":"run"'));
      const events = text.split("\n").filter((line) => line.startsWith("data: ")).map((line) => JSON.parse(line.slice(6)) as { type: string; points?: unknown[]; run?: { status: string } });
      expect(events.find((event) => event.type === "points")).toMatchObject({ type: "points", runId: live.id, key: "loss", split: "train", points: [{ step: 41, value: 0.25, t: 123 }] });
      expect(events.find((event) => event.type === "run")?.run?.status).toBe("finished");
      controller.abort();
    }, 30_000);
  });
}
