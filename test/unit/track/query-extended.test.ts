// The --where additions for labnote ui: in (…), between, regex match, and error positions.
import { describe, expect, it } from "vitest";
import type { RunRecord } from "../../../store/types.js";
import { compileQuery, parseQuery, QueryError } from "../../../magics/track/query.js";

function runRecord(name: string, params: RunRecord["params"], summary: RunRecord["summary"], extra: Partial<RunRecord> = {}): RunRecord {
  return {
    id: `${name}-id`, name, status: "finished", params, tags: [], summary, env: { backend: { name: "cpu", reason: "test" } }, seed: null, code: null, notebook: null,
    dataHashes: {}, versionId: null, studyName: null, trialNumber: null, kernelId: null, host: null, pid: null, startedAt: 0, endedAt: null, heartbeatAt: 0, ...extra,
  };
}

const runs = [
  runRecord("mlp-12", { lr: 0.001, act: "relu" }, { "val.acc": 0.93 }, { tags: ["mlp", "baseline"] }),
  runRecord("MLP-7", { lr: 0.005, act: "tanh" }, { "val.acc": 0.85 }, { tags: ["wide"] }),
  runRecord("cnn-a", { lr: 0.1, act: "gelu" }, { "val.acc": 0.4 }, { status: "crashed" }),
];
const names = (text: string): string[] => runs.filter(compileQuery(text)).map((run) => run.name);

function positionOf(text: string): number {
  try {
    parseQuery(text);
  } catch (error) {
    expect(error).toBeInstanceOf(QueryError);
    return (error as QueryError).position;
  }
  throw new Error(`"${text}" parsed`);
}

describe("--where: in, between, regex", () => {
  it("matches value lists with in and not in", () => {
    expect(names('params.act in ("relu", "tanh")')).toEqual(["mlp-12", "MLP-7"]);
    expect(names("params.act not in ('relu', 'tanh')")).toEqual(["cnn-a"]);
    expect(names("params.lr in (0.1)")).toEqual(["cnn-a"]);
    expect(names('status in ("crashed") or val.acc > 0.9')).toEqual(["mlp-12", "cnn-a"]);
  });

  it("between includes both ends and binds tighter than and", () => {
    expect(names("params.lr between 0.001 and 0.005")).toEqual(["mlp-12", "MLP-7"]);
    expect(names("params.lr between 0.001 and 0.005 and val.acc > 0.9")).toEqual(["mlp-12"]);
    expect(names("not val.acc between 0.5 and 1")).toEqual(["cnn-a"]);
  });

  it("regex-matches names and any tag, with flags", () => {
    expect(names("name ~ /mlp-\\d+/i")).toEqual(["mlp-12", "MLP-7"]);
    expect(names("name ~ /mlp-\\d+/")).toEqual(["mlp-12"]);
    expect(names("tags ~ /^base/")).toEqual(["mlp-12"]);
    expect(names("name !~ /^mlp/i")).toEqual(["cnn-a"]);
    expect(names("name ~ /a\\/b/ or backend == 'cpu'")).toHaveLength(3);
  });

  it("reports the 1-based position of every parse error", () => {
    expect(positionOf("params.lr < 0.1 val.acc")).toBe(17);
    expect(positionOf("params.lr <")).toBe(12);
    expect(positionOf("name ~ 'x'")).toBe(8);
    expect(positionOf("name ~ /(/")).toBe(8);
    expect(positionOf("name ~ /abc")).toBe(8);
    expect(positionOf("params.act in 'relu'")).toBe(15);
    expect(positionOf("params.act in ('a' 'b')")).toBe(20);
    expect(positionOf("params.lr between 1 or 2")).toBe(21);
    expect(positionOf("(params.lr < 1")).toBe(15);
    expect(positionOf("params.lr ; 1")).toBe(11);
    expect(positionOf("name == 'x")).toBe(9);
  });
});
