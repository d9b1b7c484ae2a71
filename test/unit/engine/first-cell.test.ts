// The first cell after start-up is checked before the @types packages are in the program when it needs nothing from
// them (session.ts, type-roots.ts): its type errors are still errors with line and column, a cell that does need
// them is judged by the full program, and what a quickly checked cell gives is what the full program gives.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { createHarness } from "./harness.js";
import { TypeScriptSession, type RunResult } from "../../../kernel/engine/session.js";

const never = new Promise<never>(() => undefined);

function newSession(): TypeScriptSession {
  return new TypeScriptSession(mkdtempSync(join(tmpdir(), "labnote-first-cell-")));
}

function run(session: TypeScriptSession, source: string): Promise<RunResult> {
  return session.run(source, { filename: "cell[1]", interrupted: never });
}

/** What a user sees of a result: the value, or each diagnostic's position and message, or the error's message. */
function summary(result: RunResult): unknown {
  if (result.kind === "ok") return { ok: result.hasValue ? result.value : undefined };
  if (result.kind === "compile-error") return { compile: result.diagnostics.map((d) => [d.start.line, d.start.character, d.messageText]) };
  return { runtime: String((result.error as Error).message ?? result.error) };
}

/** Cells that need nothing from @types: values, declarations, classes, generics, async, and type errors. */
const CELLS = [
  "1 + 1",
  "const width: number = 2 ** 10;\nwidth / 4",
  "[3, 1, 2].map((n) => n * 2).sort((a, b) => a - b)",
  "class Point { constructor(public x: number, public y: number) {}\n  norm() { return Math.hypot(this.x, this.y); } }\nnew Point(3, 4).norm()",
  "function first<T>(items: T[]): T | undefined { return items[0]; }\nfirst(['a', 'b'])",
  "await Promise.resolve(7)",
  "JSON.stringify({ a: [1, { b: null }] })",
  "const label: string = 42;",
  "interface Shape { sides: number }\nconst square: Shape = { sides: 4, colour: 'red' };",
  "Math.max(1, 'two')",
  "let total = 0;\nfor (const n of [1, 2, 3]) total += n;\ntotal",
  "throw new RangeError('out of range')",
];

describe("the first cell after start-up", () => {
  it("is checked before the @types packages are in, and gives what the full program gives", async () => {
    // Reference: one session whose cells all come after the full program is built (a throw-away first cell).
    const full = newSession();
    await run(full, "0");
    const expected = [];
    for (const cell of CELLS) expected.push(summary(await run(full, cell)));
    expect(full.typeRootsIncluded).toBe(true);
    full.close();

    for (const [index, cell] of CELLS.entries()) {
      const session = newSession();
      const result = await run(session, cell);
      expect(summary(result), cell).toEqual(expected[index]);
      // A clean cell took the quick path: the full program is not built yet when its answer is there. A type error
      // found without the @types packages is judged again by the full program, which is then built.
      const hasTypeError = "compile" in (expected[index] as object);
      expect(session.typeRootsIncluded, cell).toBe(hasTypeError);
      session.close();
    }
  });

  it("that needs Node's types is judged by the full program", async () => {
    const session = newSession();
    const result = await run(session, "const timer = setTimeout(() => undefined, 0);\nclearTimeout(timer);\nconst bad: number = process.version;");
    expect(session.typeRootsIncluded).toBe(true);
    expect(result.kind).toBe("compile-error");
    if (result.kind !== "compile-error") return;
    // Only the full program's complaint: setTimeout, clearTimeout and process are known there.
    expect(result.diagnostics.map((d) => d.messageText)).toEqual(["Type 'string' is not assignable to type 'number'."]);
    expect(result.diagnostics[0]!.start).toMatchObject({ line: 2, character: 6 });
    session.close();
  });

  it("with imports waits for the full program", async () => {
    const session = newSession();
    const result = await run(session, "import { basename } from 'node:path';\nbasename('/a/b.txt')");
    expect(session.typeRootsIncluded).toBe(true);
    expect(summary(result)).toEqual({ ok: "b.txt" });
    session.close();
  });

  it("with a type error is an error reply with line and column", async () => {
    const harness = createHarness(mkdtempSync(join(tmpdir(), "labnote-first-cell-")));
    const first = await harness.run("const ok = 1;\nconst label: string = ok;");
    expect(first.outcome.status).toBe("error");
    if (first.outcome.status === "error") {
      expect(first.outcome.ename).toBe("TypeError");
      expect(first.outcome.evalue).toContain("line 2, column 7");
      expect(first.outcome.evalue).toContain("not assignable to type 'string'");
    }
    // Later cells are checked with everything: Node's globals are known, and type errors still caught.
    const second = await harness.run("console.log('hello');\nconst n: number = 'x';");
    expect(second.outcome.status).toBe("error");
    if (second.outcome.status === "error") expect(second.outcome.evalue).toContain("line 2, column 7");
    const third = await harness.run("console.log('hello'); 1 + 1");
    expect(third.stdout).toBe("hello\n");
    expect(third.outcome.status === "ok" && third.outcome.result?.["text/plain"]).toBe("2");
    await harness.engine.shutdown();
  });
});
