import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { History } from "../../../kernel/history.js";

function tempProject(): string {
  return mkdtempSync(join(tmpdir(), "labnote-history-"));
}

describe("history in SQLite", () => {
  it("answers tail, range and search (glob, unique, n) with outputs, like IPython", async () => {
    const history = History.forProject(tempProject());
    await history.record(1, "const a = 1", undefined);
    await history.record(2, "a + 1", "2");
    await history.record(3, "a + 1", "2");
    await history.record(4, "console.log(a)", undefined);
    const session = history.session;

    expect(await history.query({ hist_access_type: "tail", n: 2, output: false, raw: true })).toEqual([
      [session, 3, "a + 1"],
      [session, 4, "console.log(a)"],
    ]);
    expect(await history.query({ hist_access_type: "range", session: 0, start: 2, stop: 3, output: true, raw: true })).toEqual([
      [session, 2, ["a + 1", "2"]],
    ]);
    expect(await history.query({ hist_access_type: "search", pattern: "a +*", output: false, raw: true })).toHaveLength(2);
    expect(await history.query({ hist_access_type: "search", pattern: "a +*", unique: true, output: false, raw: true })).toEqual([[session, 3, "a + 1"]]);
    expect(await history.query({ hist_access_type: "search", pattern: "*", n: 3, output: false, raw: true })).toHaveLength(3);
    history.close();
  });

  it("keeps earlier sessions across a restart (a new History on the same project)", async () => {
    const project = tempProject();
    const first = History.forProject(project);
    await first.record(1, "const remembered = 42", undefined);
    first.close();
    const second = History.forProject(project);
    await second.open();
    expect(second.session).toBeGreaterThan(first.session);
    const found = await second.query({ hist_access_type: "search", pattern: "*remembered*", output: false, raw: true });
    expect(found).toEqual([[first.session, 1, "const remembered = 42"]]);
    const previous = await second.query({ hist_access_type: "range", session: -1, start: 1, output: false, raw: true });
    expect(previous).toEqual([[first.session, 1, "const remembered = 42"]]);
    second.close();
  });

  it("turns itself off with a logged reason when the directory cannot be written", async () => {
    const logs: string[] = [];
    const project = tempProject();
    writeFileSync(join(project, ".labnote"), "a file where the directory should be");
    const history = History.forProject(project, (message) => logs.push(message));
    await history.record(1, "x", undefined);
    expect(await history.query({ hist_access_type: "tail", n: 5, output: false, raw: true })).toEqual([]);
    expect(logs.join("\n")).toMatch(/history is off/);
  });
});
