// `labnote worker`'s notebook handling: which %%tune cell is the study's, --trials set on its line, clear refusals.
import { describe, expect, it } from "vitest";
import { findTuneCell, parseWorkerArgs, tuneStudyOf, withTrials, WorkerUsageError } from "../../../magics/tune/worker-cli.js";

describe("labnote worker notebook handling", () => {
  it("finds the %%tune cell of the study (quoted or not) and nothing else", () => {
    expect(tuneStudyOf("%%tune --trials 5 --study mlp --seed 1\nreturn 1;")).toBe("mlp");
    expect(tuneStudyOf("\n%%tune --study=\"wide net\"\nreturn 1;")).toBe("wide net");
    expect(tuneStudyOf("%%tune --trials 5\nreturn 1;")).toBe("");
    expect(tuneStudyOf("%%track --name x\nconst study = '--study mlp';")).toBeUndefined();
    const cells = ["const a = 1;", "%%tune --study small\nreturn 1;", "%%tune --study big\nreturn 2;"];
    expect(findTuneCell(cells, "big", "nb.ipynb")).toBe(2);
    expect(() => findTuneCell(cells, "huge", "nb.ipynb")).toThrow('nb.ipynb has no %%tune cell for study "huge" (its %%tune cells are for "small", "big"). Give the cell --study huge on its %%tune line, or pass the --study it has.');
    expect(() => findTuneCell(["const a = 1;"], "huge", "nb.ipynb")).toThrow("(it has no %%tune cell)");
  });

  it("sets the study's budget on the %%tune line", () => {
    expect(withTrials("%%tune --trials 20 --study s\nreturn 1;", 200)).toBe("%%tune --trials 200 --study s\nreturn 1;");
    expect(withTrials("%%tune -n 20 --study s\nreturn 1;", 7)).toBe("%%tune --trials 7 --study s\nreturn 1;");
    expect(withTrials("%%tune --study s\nreturn 1;", 7)).toBe("%%tune --study s --trials 7\nreturn 1;");
  });

  it("parses its arguments and says what is missing", () => {
    expect(parseWorkerArgs(["nb.ipynb", "--study", "s", "--trials=40", "--store", "postgres://h/db"])).toEqual({ notebook: "nb.ipynb", study: "s", trials: 40, store: "postgres://h/db", local: false });
    expect(() => parseWorkerArgs(["nb.ipynb"])).toThrow(WorkerUsageError);
    expect(() => parseWorkerArgs(["nb.ipynb"])).toThrow("--study NAME is required");
    expect(() => parseWorkerArgs(["--study", "s"])).toThrow("name the notebook");
    expect(() => parseWorkerArgs(["nb.ipynb", "--study", "s", "--trials", "0"])).toThrow("--trials must be a positive integer");
    expect(() => parseWorkerArgs(["nb.ipynb", "--study", "s", "--parallel", "2"])).toThrow('unknown option "--parallel"');
  });
});
