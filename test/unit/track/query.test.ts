import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../store/types.js";
import { compileQuery, parseQuery, QueryError, sortRuns } from "../../../magics/track/query.js";

function runRecord(name: string, params: RunRecord["params"], summary: RunRecord["summary"], extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id: `${name}-id`, name, status: "finished", params, tags: [], summary, env: { node: "v20", git: { dirty: false } }, seed: null, code: null, notebook: null,
    dataHashes: {}, versionId: null, studyName: null, trialNumber: null, kernelId: null, host: null, pid: null, startedAt: 0, endedAt: null, heartbeatAt: 0, ...extra,
  };
}

const runs = [
  runRecord("small-lr", { lr: 0.001, act: "relu" }, { "val.acc": 0.93, "train.loss": 0.1 }, { tags: ["mlp", "baseline"] }),
  runRecord("mid-lr", { lr: 0.005, act: "tanh" }, { "val.acc": 0.85, "train.loss": 0.2 }, { tags: ["mlp"] }),
  runRecord("big-lr", { lr: 0.1, act: "relu" }, { "val.acc": 0.4, "train.loss": "NaN" }, { status: "crashed" }),
  runRecord("no-metrics", { lr: 0.002 }, {}),
];
const names = (text: string): string[] => runs.filter(compileQuery(text)).map((run) => run.name);

describe("--where query language", () => {
  it("filters on params and final metrics with and/or/not", () => {
    expect(names("params.lr < 0.01 and val.acc > 0.9")).toEqual(["small-lr"]);
    expect(names("params.lr >= 0.1 or val.acc > 0.9")).toEqual(["small-lr", "big-lr"]);
    expect(names("not params.act == 'relu' and params.lr < 0.01")).toEqual(["mid-lr", "no-metrics"]);
    expect(names("(params.lr < 0.003 or params.lr > 0.05) and status != \"crashed\"")).toEqual(["small-lr", "no-metrics"]);
    expect(names("params.lr < 0.01 && val.acc > 0.8")).toEqual(["small-lr", "mid-lr"]);
  });

  it("supports contains on names and tags, env paths, and negative numbers", () => {
    expect(names('name contains "lr"')).toEqual(["small-lr", "mid-lr", "big-lr"]);
    expect(names("tags contains baseline")).toEqual(["small-lr"]);
    expect(names("env.git.dirty == false and env.node == 'v20'")).toHaveLength(4);
    expect(names("val.acc > -1")).toEqual(["small-lr", "mid-lr", "big-lr"]);
  });

  it("treats missing values as not matching", () => {
    expect(names("val.acc < 2")).not.toContain("no-metrics");
    expect(names("val.acc != 0.4")).toContain("no-metrics");
  });

  it("rejects malformed expressions with a message that shows the form", () => {
    expect(() => parseQuery("params.lr <")).toThrow(QueryError);
    expect(() => parseQuery("params.lr < 0.1 val.acc")).toThrow(/join conditions with and\/or/);
    expect(() => parseQuery("(params.lr < 1")).toThrow(/not closed/);
    expect(() => parseQuery("name == 'x")).toThrow(/not closed/);
    expect(() => parseQuery("params.lr ; drop")).toThrow(/unexpected ";"/);
    expect(() => parseQuery("process.exit()")).toThrow(QueryError); // no calls: nothing is evaluated as code
  });

  it("sorts descending with a leading -, missing values last", () => {
    expect(sortRuns(runs, "-val.acc").map((run) => run.name)).toEqual(["small-lr", "mid-lr", "big-lr", "no-metrics"]);
    expect(sortRuns(runs, "params.lr").map((run) => run.name)).toEqual(["small-lr", "no-metrics", "mid-lr", "big-lr"]);
  });
});
