// Variables of earlier cells wherever a cell can name them: shorthand properties, destructuring, exports,
// magic bodies, and closures of earlier cells that read a `let` a later cell reassigns.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { MagicSpec } from "../../../magics/types.js";
import { createHarness, resultText, type Harness } from "./harness.js";

const body: MagicSpec = {
  name: "body",
  summary: "runs its body like %%track does",
  cell: {
    summary: "run the body",
    usage: "%%body",
    async run(args, ctx) {
      const value = await ctx.execute(args.body, { globals: { run: { id: "r1" } }, types: { run: "{ id: string }" } });
      return { data: { value: value as Record<string, unknown> }, text: JSON.stringify(value) };
    },
  },
};

let harness: Harness;

async function value(code: string): Promise<string | undefined> {
  const run = await harness.run(code);
  if (run.outcome.status === "error") throw new Error(`${code}: ${run.outcome.evalue}`);
  return resultText(run);
}

beforeAll(async () => {
  harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-scope-")), { magics: [body] });
  const first = await harness.run(
    "const q = 1;\nlet r = 5;\nconst readR = () => r;\nfunction bumpR() { r++; return r; }\nlet [d1, { d2 }] = [1, { d2: 2 }];\nvar legacy = 3;",
  );
  expect(first.outcome.status).toBe("ok");
}, 60_000);

afterAll(async () => {
  await harness.engine.shutdown();
});

describe("earlier cells' variables", () => {
  it("work as shorthand properties, also nested in closures", async () => {
    expect(await value("({ q })")).toBe("{ q: 1 }");
    expect(await value("[10].map((v) => ({ v, q }))")).toBe("[ { v: 10, q: 1 } ]");
    expect(await value("({ d1, d2, legacy })")).toBe("{ d1: 1, d2: 2, legacy: 3 }");
  });

  it("work in destructuring defaults and as destructuring assignment targets", async () => {
    expect(await value("const { a = q } = {} as { a?: number };\na")).toBe("1");
    expect(await value("function g({ x = q }: { x?: number } = {}) { return x; }\ng()")).toBe("1");
    expect(await value("({ d1 } = { d1: 9 });\nd1")).toBe("9");
  });

  it("work in templates, typeof and class fields", async () => {
    expect(await value("`q=${q}`")).toBe("'q=1'");
    expect(await value("typeof q")).toBe("'number'");
    expect(await value("class Holder { field = q; }\nnew Holder().field")).toBe("1");
  });

  it("accept `export` on a declaration and keep the name for later cells", async () => {
    expect(await value("export const exported = q + 1;\nexported")).toBe("2");
    expect(await value("export function twice(n: number) { return 2 * n; }\ntwice(exported)")).toBe("4");
  });

  it("are seen by a cell magic's body", async () => {
    const run = await harness.run("%%body\n({ q, id: run.id })");
    expect(run.outcome.status).toBe("ok");
    expect(resultText(run)).toBe('{"q":1,"id":"r1"}');
  });

  it("reach closures of the declaring cell when a later cell reassigns a let", async () => {
    expect(await value("r = 7;\nreadR()")).toBe("7");
    expect(await value("bumpR();\nr")).toBe("8");
    // A redeclaration is a new variable: the old closure keeps the value it last saw.
    expect(await value("let r = 'new';\n[r, readR()]")).toBe("[ 'new', 8 ]");
  });

  it("report type errors at the user's own column after a rewritten shorthand", async () => {
    const run = await harness.run("const o = { q }; const bad: string = q;");
    expect(run.outcome.status).toBe("error");
    if (run.outcome.status !== "error") return;
    expect(run.outcome.evalue).toContain("line 1, column 24");
    expect(run.outcome.traceback.join("\n")).toContain("const o = { q }; const bad: string = q;");
  });

  it("shows a runtime error's cell frames without the vm machinery that ran them", async () => {
    const run = await harness.run("function fail() {\n  throw new Error('boom');\n}\nfail();");
    expect(run.outcome.status).toBe("error");
    if (run.outcome.status !== "error") return;
    expect(run.outcome.traceback[0]).toBe("Error: boom");
    // The cell's own line numbers (tslab compiles to JavaScript with other ones) and the line itself.
    expect(run.outcome.traceback).toEqual(["Error: boom", expect.stringMatching(/^ {4}at fail \(cell\[\d+\], line 2\)$/), "        throw new Error('boom');", expect.stringMatching(/^ {4}at cell\[\d+\], line 4$/), "        fail();"]);
    expect(run.outcome.traceback.join("\n")).not.toContain("node:vm");
  });

  it("keeps an old closure's value when a later cell redeclares one of many lets (hoisted exports span lines)", async () => {
    const names = Array.from({ length: 60 }, (_, i) => `many${i}`);
    await harness.run(`let ${names.map((n, i) => `${n} = ${i}`).join(", ")};\nconst readLast = () => many59;`);
    expect(await value("many59 = 100;\nreadLast()")).toBe("100");
    expect(await value(`let ${names.map((n) => `${n} = "new"`).join(", ")};\n[many59, readLast()]`)).toBe("[ 'new', 100 ]");
  });
});
