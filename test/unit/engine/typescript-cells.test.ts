// Cells as a user writes them: types across cells, errors with line and column, top-level await, imports.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createHarness, resultText, type Harness } from "./harness.js";

let harness: Harness;
let projectDir: string;

function makePackage(name: string, files: Record<string, string>): void {
  const dir = join(projectDir, "node_modules", name);
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
}

beforeAll(() => {
  projectDir = mkdtempSync(join(tmpdir(), "labnote-engine-"));
  makePackage("esm-only", {
    "package.json": JSON.stringify({ name: "esm-only", version: "1.0.0", type: "module", exports: { ".": { types: "./index.d.ts", import: "./index.js" } } }),
    "index.js": "export const answer = 42;\nexport default function greet(name) { return `hello ${name}`; }\n",
    "index.d.ts": "export declare const answer: number;\nexport default function greet(name: string): string;\n",
  });
  makePackage("cjs-pkg", {
    "package.json": JSON.stringify({ name: "cjs-pkg", version: "1.0.0", main: "index.js" }),
    "index.js": "exports.double = (n) => n * 2; exports.kind = 'commonjs';\n",
    "index.d.ts": "export declare function double(n: number): number;\nexport declare const kind: string;\n",
  });
  harness = createHarness(projectDir);
});

afterAll(async () => {
  await harness.engine.shutdown();
});

describe("TypeScript cells", () => {
  it("shows the last expression as the execute_result and keeps declarations across cells", async () => {
    const first = await harness.run("const width: number = 21;\nwidth * 2");
    expect(first.outcome.status).toBe("ok");
    expect(resultText(first)).toBe("42");
    const second = await harness.run("width + 1");
    expect(resultText(second)).toBe("22");
  });

  it("type-checks against earlier cells and reports line and column", async () => {
    const run = await harness.run("const ok = 1;\nconst label: string = width;");
    expect(run.outcome.status).toBe("error");
    if (run.outcome.status !== "error") return;
    expect(run.outcome.ename).toBe("TypeError");
    expect(run.outcome.evalue).toContain("line 2, column 7");
    expect(run.outcome.evalue).toContain("not assignable to type 'string'");
    expect(run.outcome.traceback.join("\n")).toContain("const label: string = width;");
  });

  it("keeps interfaces and types for later cells", async () => {
    await harness.run("interface Point { x: number; y: number }\nconst origin: Point = { x: 0, y: 0 };");
    const bad = await harness.run("const p: Point = { x: 1 };");
    expect(bad.outcome.status).toBe("error");
    const good = await harness.run("const q: Point = { x: 1, y: 2 };\nq.x + q.y + origin.x");
    expect(resultText(good)).toBe("3");
  });

  it("awaits at top level", async () => {
    const run = await harness.run("const later = await new Promise<string>((r) => setTimeout(() => r('done'), 5));\nlater");
    expect(resultText(run)).toBe("'done'");
  });

  it("reports runtime errors with their name and message", async () => {
    const run = await harness.run("function boom(): never { throw new RangeError('too far'); }\nboom()");
    expect(run.outcome).toMatchObject({ status: "error", ename: "RangeError", evalue: "too far" });
  });

  it("routes console.log and console.error to the cell's streams", async () => {
    const run = await harness.run("console.log('to stdout', 1);\nconsole.error('to stderr');");
    expect(run.stdout).toBe("to stdout 1\n");
    expect(run.stderr).toBe("to stderr\n");
  });

  it("imports an ESM-only package from the notebook directory", async () => {
    const run = await harness.run("import greet, { answer } from 'esm-only';\ngreet(String(answer))");
    expect(run.outcome.status).toBe("ok");
    expect(resultText(run)).toBe("'hello 42'");
  });

  it("imports a CommonJS package from the notebook directory, typed", async () => {
    const run = await harness.run("import { double, kind } from 'cjs-pkg';\n`${kind}:${double(4)}`");
    expect(resultText(run)).toBe("'commonjs:8'");
    const typed = await harness.run("double('x')");
    expect(typed.outcome).toMatchObject({ status: "error", ename: "TypeError" });
  });

  it("names a missing package and says how to install it", async () => {
    const run = await harness.run("import { nope } from 'not-installed-anywhere';\nnope");
    expect(run.outcome.status).toBe("error");
    if (run.outcome.status === "error") expect(run.outcome.evalue).toMatch(/not-installed-anywhere/);
  });

  it("is_complete: open brackets and trailing operators are incomplete, broken syntax invalid", async () => {
    expect((await harness.engine.isComplete("function f() {")).status).toBe("incomplete");
    expect((await harness.engine.isComplete("const a = 1 +")).status).toBe("incomplete");
    expect((await harness.engine.isComplete("const a = 1;")).status).toBe("complete");
    expect((await harness.engine.isComplete("const = = 2;")).status).toBe("invalid");
    expect((await harness.engine.isComplete("%time 1")).status).toBe("complete");
    expect((await harness.engine.isComplete("%%time")).status).toBe("incomplete");
    expect((await harness.engine.isComplete("%%time\nfor (const x of [1]) {")).status).toBe("incomplete");
  });

  it("completes from the language service, earlier cells included", async () => {
    await harness.run("const learningRate = 0.01;");
    const code = "learningR";
    const completion = await harness.engine.complete(code, code.length);
    expect(completion.matches).toContain("learningRate");
    expect(completion.cursorStart).toBe(0);
    expect(completion.cursorEnd).toBe(code.length);
    const member = "origin.";
    expect((await harness.engine.complete(member, member.length)).matches).toEqual(expect.arrayContaining(["x", "y"]));
  });

  it("inspects a name with its type", async () => {
    const info = await harness.engine.inspect("learningRate", 3, 0);
    expect(info.found).toBe(true);
    expect(String(info.data["text/plain"])).toContain("const learningRate: 0.01");
  });

  it("evaluates user_expressions after the cell", async () => {
    const run = await harness.run("const shown = 5;", { userExpressions: { twice: "shown * 2", broken: "nosuchname" } });
    if (run.outcome.status !== "ok") throw new Error("cell failed");
    expect(run.outcome.userExpressions.twice).toMatchObject({ status: "ok", data: { "text/plain": "10" } });
    expect(run.outcome.userExpressions.broken).toMatchObject({ status: "error" });
  });
});
