// Fresh cells are checked in a view of the last program (cell-swap.ts) instead of a program and checker of their own.
// The same notebook, cell by cell, through a compiler that swaps and one that builds every program in full and prints
// the declarations whole (tslab's way): every conversion (diagnostics with positions, emitted code, declarations
// handed to later cells, the last expression's name, top-level await), completion and hover must be the same, and
// the swap must have been taken for the ordinary cells.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import ts from "typescript";
import { afterAll, describe, expect, it } from "vitest";
import { transpileCacheStats } from "../../../kernel/engine/transpile-cache.js";
import { createCellCompiler, type CellCompiler, type ConvertResult } from "../../../kernel/engine/typescript.js";

const HANDOFF = "__labnote_cell__";

/**
 * Cells of a notebook, in order. `swap: false`: a cell the view must not take (it reaches outside itself, or the
 * program it would swap into is not built yet); `swap: true`: a cell it must take.
 */
const CELLS: { src: string; swap?: boolean }[] = [
  { src: "1 + 1" },
  { src: "const width: number = 2 ** 10;\nwidth / 4" },
  { src: "const label: string = 42;" },
  { src: "width * 2" },
  // The same error again, at the same place: the checker keeps one of equal diagnostics, so it must not be lost.
  { src: "const label: string = 42;" },
  { src: "const label: string = 42;\n// edited below the error" },
  { src: "let counter = 0;\ncounter += width;\ncounter" },
  { src: "class Point {\n  constructor(public x: number, public y: number) {}\n  norm(): number { return Math.hypot(this.x, this.y); }\n}\nnew Point(3, 4).norm()" },
  { src: "const p = new Point(1, 2);\np.norm() + p.z" },
  { src: "const p = new Point(1, 2);\np.norm()" },
  { src: "function first<T>(items: T[]): T | undefined { return items[0]; }\nfirst(['a', 'b'])" },
  { src: "const n: number = first(['a']);" },
  { src: "const n: number | undefined = first([1, 2]);\nn" },
  { src: "interface Shape { sides: number }\nconst square: Shape = { sides: 4, colour: 'red' };" },
  { src: "interface Shape { sides: number }\nconst square: Shape = { sides: 4 };\nsquare.sides" },
  { src: "type Pair<A, B> = [A, B];\nconst pair: Pair<string, number> = ['a', 1];\npair" },
  { src: "const wrong: Pair<string, number> = [1, 'a'];" },
  { src: "enum Colour { Red, Green }\nColour.Green" },
  { src: "Colour.Blue" },
  { src: "await Promise.resolve(7)" },
  { src: "const later = await new Promise<number>((resolve) => setTimeout(() => resolve(3), 1));\nlater" },
  { src: "async function slow() { return 1; }\nconst viaAwait: string = await slow();" },
  { src: "let width = 'redeclared';\nwidth.length" },
  { src: "width.toFixed(2)" },
  { src: "Math.max(1, 'two')" },
  { src: "console.log(process.version.length > 0); Buffer.from('a').length" },
  { src: "// @ts-expect-error\nconst silenced: string = 1;" },
  { src: "// @ts-expect-error\nconst fine: number = 1;" },
  { src: "// @ts-ignore\nconst ignored: string = 1;\nignored" },
  { src: "let total = 0;\nfor (const k of [1, 2, 3]) total += k;\ntotal" },
  { src: "function overloaded(a: string): string;\nfunction overloaded(a: number): number;\nfunction overloaded(a: unknown) { return a; }\noverloaded(2)" },
  { src: "overloaded(true)" },
  { src: "const { x, y } = new Point(5, 6);\nx + y" },
  { src: "label.toUpperCase()" },
  { src: "undefinedName + 1" },
  { src: "const broken = (1 + ;" },
  { src: "throw new RangeError('out of range')" },
  { src: "import { join } from 'node:path';\njoin('a', 'b')", swap: false },
  { src: "join('c', 'd')", swap: false },
  { src: "declare global { var sharedFlag: boolean }\nglobalThis.sharedFlag = true;", swap: false },
  { src: "namespace Tools { export const version = 2; }\nTools.version", swap: false },
  { src: "import('node:os').then((os) => os.EOL.length)", swap: false },
  // The declarations now import node:path: the next cell builds a base with that import, the ones after swap again.
  { src: "join('e', 'f').length", swap: false },
  { src: "const joined: number = join('a');", swap: true },
  { src: "let q = join('g').length;\nq + 1", swap: true },
  { src: "q.toFixed(1) + joined", swap: true },
  { src: "import { EOL } from 'node:os';\nEOL.length", swap: false },
  { src: "EOL.length + join('x').length", swap: false },
  { src: "EOL.lenght", swap: true },
  { src: "const sep2: string = EOL + join('y');\nsep2", swap: true },
  // `join` redeclared: the declarations it leaves drop node:path's import, so the next cell's no longer import what
  // the base's did.
  { src: "function join(...parts: string[]): string { return parts.join('+'); }\njoin('a', 'b')", swap: true },
  { src: "join('c', 'd').toUpperCase()", swap: false },
  { src: "join('e', 1)", swap: true },
  // A local module (no ambient declaration to fall back on): the swapped declarations need its resolution.
  { src: "import { twice } from './lib/helper';\ntwice(2)", swap: false },
  { src: "twice(3)", swap: false },
  { src: "const t: string = twice(4);", swap: true },
  { src: "twice(5) + join('z').length", swap: true },
  // New declarations: a new declarations file, which must resolve './lib/helper' as the base's did.
  { src: "const u = twice(6);", swap: true },
  { src: "const v: string = twice(7);", swap: true },
  { src: "u.toFixed(twice(1))", swap: true },
];

/**
 * Cells for the one-pass CommonJS emit of swapped cells (watch-host.ts): JavaScript of every kind a cell may hold,
 * top-level names assigned, incremented and destructured, closures over earlier cells' names, classes, generators.
 * `oneStep: false`: syntax that keeps the two passes (enums, decorators, `declare`).
 */
const EMIT_CELLS: { src: string; oneStep?: boolean }[] = [
  { src: "let a = 1, b = 2;\nvar c = a + b;\nc" },
  { src: "a = 5;\nb++;\n--c;\na += b;\n[a, b] = [b, a];\n({ a, b } = { a: 9, b: 8 });\na * b" },
  { src: "let m = 0;\nfunction bump(by = 1) { m += by; m++; return m; }\nbump(2)" },
  { src: "m = bump() + a;\nm" },
  { src: "const { p = 1, q: [r, ...rest] = [2, 3, 4], ...others } = { s: 5 } as { p?: number; q?: number[]; s: number };\np + r + rest.length + others.s" },
  { src: "let [first, , third = 3] = [1, 2];\nfor (first of [4, 5]) third += first;\nthird" },
  { src: "let i = 0, acc = '';\nwhile (i < 3) { acc += i; i++; }\ndo { i--; } while (i > 0);\nouter: for (const k in { x: 1, y: 2 }) { for (;;) { acc += k; continue outer; } }\nacc" },
  { src: "function* counter(limit: number) { for (let n = 0; n < limit; n++) yield n; }\nconst counted = [...counter(4)];\ncounted" },
  { src: "async function later<T>(value: T): Promise<T> { await null; return value; }\nconst got = await later('v');\ngot" },
  { src: "class Account {\n  static created = 0;\n  #balance = 0;\n  readonly id: number;\n  constructor(private owner: string, public limit = 10) { this.id = ++Account.created; }\n  get balance() { return this.#balance; }\n  set balance(v: number) { this.#balance = Math.min(v, this.limit); }\n  static { Account.created = 100; }\n}\nconst acct = new Account('me');\nacct.balance = 50;\nacct.balance + acct.id" },
  { src: "class Savings extends Account {\n  constructor() { super('you', 20); }\n  override toString() { return `Savings(${this.balance})`; }\n}\nString(new Savings())" },
  { src: "const Anon = class { hi() { return 'hi'; } };\nnew Anon().hi()" },
  { src: "let maybe: { deep?: { value?: number } } | undefined = { deep: {} };\nlet fallback = maybe?.deep?.value ?? 7;\nfallback ||= 1;\nfallback &&= fallback + 1;\nmaybe ??= {};\nfallback" },
  { src: "const big = 12_345n * 2n;\nconst re = /a+(?<name>b)/g;\nconst tag = (s: TemplateStringsArray, ...v: unknown[]) => s.raw.join('|') + v.length;\n`${big}` + tag`x${1}y${2}` + 'aab'.replace(re, '$<name>')" },
  { src: "// a comment before\nconst commented = /* inline */ 1; // trailing\n/** doc */\nfunction documented() { return commented; }\ndocumented()" },
  { src: "const multiline = {\n  one: 1,\n  two: [\n    2,\n    3,\n  ],\n  three() { return this.one; },\n};\nmultiline.three()" },
  { src: "const tsLastExpr = 'taken';\ntsLastExpr.length" },
  { src: "const shorthand = { a, b, m };\nshorthand" },
  { src: "export const exported = 3;\nexport function exportedFn() { return exported; }\nexportedFn()" },
  { src: "var hoisted = useBefore();\nfunction useBefore() { return typeof later; }\nhoisted" },
  { src: "const arrow = (x: number) => (y: number) => x * y + a;\narrow(2)(3)" },
  { src: "let swapped = 1;\n{ let swapped = 2; swapped++; }\nswapped" },
  { src: "try { JSON.parse('{'); } catch { a = -1; } finally { b = -2; }\na + b" },
  { src: "switch (a) { case -1: c = 10; break; default: c = 20; }\nc" },
  { src: "const obj = { get v() { return a; }, [`k${b}`]: 1, ...{ z: 1 } };\nObject.keys(obj)" },
  { src: "let counterValue = 0;\nconst inc = () => counterValue++;\ninc(); inc();\ncounterValue" },
  { src: "counterValue = counterValue * 10;\ninc();\ncounterValue" },
  { src: "const typed = <T,>(x: T) => x as unknown as string;\ntyped(1)!.length satisfies number" },
  { src: "abstract class Shape { abstract area(): number; describe() { return `area ${this.area()}`; } }\nclass Sq extends Shape { constructor(private side: number) { super(); } area() { return this.side ** 2; } }\nnew Sq(3).describe()" },
  { src: "new.target; this; void 0" },
  { src: "enum Direction { Up = 1, Down }\nDirection.Down", oneStep: false },
  { src: "const enum Flag { On = 1 }\nFlag.On + 1", oneStep: false },
  { src: "function logged(target: unknown, key: string) {}\nclass Decorated { @logged method() {} }\nnew Decorated()", oneStep: false },
  { src: "declare const ambient: number;\ntypeof ambient", oneStep: false },
  { src: "Direction.Up + a" },
];

/**
 * Declaring cells for the declarations printed statement by statement (decl-print.ts): names redeclared as other
 * kinds (a value as a type, a class as a value, a function as a const), interfaces merged, declarations that refer to
 * earlier ones, tuples and object types printed across lines, documented declarations (comments: the printer's own
 * path), errors in between.
 */
const DECLARATION_CELLS: string[] = [
  "const a17 = 17;",
  "const a18 = a17 + 1, pairA: [number, string] = [1, 'x'];",
  "type Box<T> = { value: T; pair: [T, T] };\nconst boxed: Box<number> = { value: a17, pair: [1, 2] };",
  "function unbox<T>(box: Box<T>): T { return box.value; }\nconst unboxed = unbox(boxed);",
  "interface Named { name: string }\ninterface Named { age?: number }\nconst named: Named = { name: 'n' };",
  "class Holder<T> { constructor(public held: T) {} get twice(): [T, T] { return [this.held, this.held]; } }\nconst holder = new Holder(a18);",
  "const a17 = 'seventeen';\nlet counter17 = a17.length;",
  "type Box = string;\nconst box2: Box = 'b';",
  "const Holder = 3;\nHolder + 1",
  "function a18() { return 18; }\nconst a19 = a18() + 1;",
  "const unbox: number = 'wrong';",
  "const pairA = [1, 2, 3] as const;\nlet lettered = { a: 1, b: { c: [1, 2] } };",
  "/** Documented. */\nconst documented17 = { deep: [1, 'a'] as [number, string] };",
  "const afterDoc = documented17.deep[0] + a19;",
  "const documented17 = 'no longer documented';",
  "class Point3 { x = 1; y = 2; z = 3 }\ntype Point3Keys = keyof Point3;\nconst keys3: Point3Keys[] = ['x'];",
  "enum Mode17 { A, B }\nconst mode17 = Mode17.B;",
  "const named = 5, named2 = 'x';\nnamed",
  "let counter17 = 0, other17 = [counter17] as [number];",
  "declare const ambient17: { a: [number, number] };",
  "const tuple17: [number, [string, boolean]] = [1, ['a', true]];\nconst a20 = tuple17[1][0] + a17;",
];

/** Completions and hovers asked after the cells, on new text each time. */
const COMPLETIONS: [string, number?][] = [["Math.fl"], ["width.len"], ["[1, 2].ma"], ["new Point(1, 2).no"], ["con"], ["Colour."], ["let q = 1;\nq.toE"], ["pair[0].toUpp"]];
const HOVERS: [string, number][] = [["width", 2], ["new Point(1, 2).norm()", 17], ["first([1])", 2], ["Math.hypot(1, 2)", 6]];

/** What a conversion gives, side outputs (local modules a cell imports) named relative to their project. */
function comparable(result: ConvertResult, project: string): unknown {
  return {
    diagnostics: result.diagnostics.map((d) => [d.start, d.end, d.messageText, d.code, d.category, d.fileName]),
    output: result.output,
    declOutput: result.declOutput,
    lastExpressionVar: result.lastExpressionVar,
    hasToplevelAwait: result.hasToplevelAwait,
    sideOutputs: result.sideOutputs?.map((side) => ({ ...side, path: relative(project, side.path) })),
  };
}

/** The tokens of JavaScript as its parser reads them (regular expressions and template parts whole), comments apart. */
function jsTokens(js: string): string[] {
  const file = ts.createSourceFile("out.js", js, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  expect((file as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics).toEqual([]);
  const tokens: string[] = [];
  const walk = (node: ts.Node): void => {
    if (ts.isJSDoc(node)) return;
    const children = node.getChildren(file);
    if (children.length === 0) {
      if (node.kind !== ts.SyntaxKind.EndOfFileToken) tokens.push(`${ts.SyntaxKind[node.kind]} ${node.getText(file)}`);
      return;
    }
    for (const child of children) walk(child);
  };
  walk(file);
  // Comments, in order, with their text.
  const comments = js.match(/\/\*[\s\S]*?\*\/|\/\/[^\n]*/g) ?? [];
  return [...tokens, ...comments.map((comment) => `comment ${comment}`)];
}

function newProject(): string {
  const dir = mkdtempSync(join(tmpdir(), "labnote-cell-swap-"));
  mkdirSync(join(dir, "lib"));
  writeFileSync(join(dir, "lib", "helper.ts"), "export function twice(n: number): number { return n * 2; }\n");
  return dir;
}

describe("fresh cells checked in a view of the last program", () => {
  const compilers: CellCompiler[] = [];
  afterAll(() => {
    for (const compiler of compilers) compiler.close();
  });

  it("give the same conversions, completions and hovers as a program built in full for each cell", () => {
    const swapProject = newProject();
    const fullProject = newProject();
    const swapping = createCellCompiler(swapProject, { swapCells: true });
    const full = createCellCompiler(fullProject, { swapCells: false, declarationPrintMemo: false });
    compilers.push(swapping, full);
    let swapDecl = "";
    let fullDecl = "";
    let errors = 0;
    for (const cell of CELLS) {
      const before = swapping.swapStats.swaps;
      const fast = swapping.convert(swapDecl, cell.src, HANDOFF);
      const swapped = swapping.swapStats.swaps > before;
      const slow = full.convert(fullDecl, cell.src, HANDOFF);
      expect(comparable(fast, swapProject), cell.src).toEqual(comparable(slow, fullProject));
      if (cell.swap !== undefined) expect(swapped, `${cell.src} ${cell.swap ? "must be swapped" : "must take the full path"}`).toBe(cell.swap);
      if (slow.diagnostics.length > 0) errors++;
      else {
        swapDecl = fast.declOutput ?? "";
        fullDecl = slow.declOutput ?? "";
      }
    }
    expect(errors).toBeGreaterThan(12);
    expect(full.swapStats.swaps).toBe(0);

    // A notebook without imports: every cell but the first swaps.
    const ordinaryCells = CELLS.filter((cell) => cell.swap === undefined);
    const swapProject2 = newProject();
    const fullProject2 = newProject();
    const swapping2 = createCellCompiler(swapProject2, { swapCells: true });
    const full2 = createCellCompiler(fullProject2, { swapCells: false, declarationPrintMemo: false });
    compilers.push(swapping2, full2);
    let decl = "";
    let swappedCells = 0;
    for (const cell of ordinaryCells) {
      const before = swapping2.swapStats.swaps;
      const fast = swapping2.convert(decl, cell.src, HANDOFF);
      // tslab converts a declaring cell twice (the second time with its names exported): one or two swaps.
      if (swapping2.swapStats.swaps > before) swappedCells++;
      const slow = full2.convert(decl, cell.src, HANDOFF);
      expect(comparable(fast, swapProject2), cell.src).toEqual(comparable(slow, fullProject2));
      if (slow.diagnostics.length === 0) decl = slow.declOutput ?? "";
    }
    // All but the first cell (the first full build makes the base) take the swap.
    expect(swappedCells).toBeGreaterThanOrEqual(ordinaryCells.length - 1);

    for (const [src, at] of COMPLETIONS) {
      const before = swapping2.swapStats.swaps;
      const fast = swapping2.complete(decl, src, at ?? src.length);
      expect(swapping2.swapStats.swaps, `completion of ${src} swapped`).toBeGreaterThan(before);
      const slow = full2.complete(decl, src, at ?? src.length);
      expect({ ...fast, original: undefined }, src).toEqual({ ...slow, original: undefined });
      expect(fast.candidates.length, src).toBeGreaterThan(0);
    }
    for (const [src, at] of HOVERS) {
      expect(swapping2.inspect(decl, src, at), src).toEqual(full2.inspect(decl, src, at));
    }
  });

  it("declarations parsed ahead of a cell (between requests) give the same conversions, completions and hovers", () => {
    // The kernel parses the next cell's declarations after each reply (prepareDeclarations); the swap must then take
    // them only when they are exactly the text it is given, and the cells must come out as without it.
    const ordinaryCells = CELLS.filter((cell) => cell.swap === undefined);
    const preparedProject = newProject();
    const plainProject = newProject();
    const prepared = createCellCompiler(preparedProject, { swapCells: true });
    const plain = createCellCompiler(plainProject, { swapCells: true });
    compilers.push(prepared, plain);
    let decl = "";
    let expectedHits = 0;
    for (const [index, cell] of ordinaryCells.entries()) {
      const hitsBefore = prepared.swapStats.preparedDeclarations;
      // Every fifth cell, a stale preparation (other text): it must not be taken.
      prepared.prepareDeclarations(index % 5 === 4 ? `${decl}declare const stale${index}: number;\n` : decl);
      const fast = prepared.convert(decl, cell.src, HANDOFF);
      const slow = plain.convert(decl, cell.src, HANDOFF);
      expect(comparable(fast, preparedProject), cell.src).toEqual(comparable(slow, plainProject));
      const hits = prepared.swapStats.preparedDeclarations - hitsBefore;
      if (index % 5 === 4) expect(hits, `${cell.src}: stale preparation taken`).toBe(0);
      expectedHits += hits;
      if (slow.diagnostics.length === 0) decl = slow.declOutput ?? "";
    }
    // Taken whenever the declarations changed since the last swap and the preparation was the right text.
    expect(expectedHits).toBeGreaterThan(10);
    expect(plain.swapStats.preparedDeclarations).toBe(0);

    for (const [src, at] of COMPLETIONS) {
      prepared.prepareDeclarations(decl);
      const fast = prepared.complete(decl, src, at ?? src.length);
      const slow = plain.complete(decl, src, at ?? src.length);
      expect({ ...fast, original: undefined }, src).toEqual({ ...slow, original: undefined });
    }
    for (const [src, at] of HOVERS) {
      expect(prepared.inspect(decl, src, at), src).toEqual(plain.inspect(decl, src, at));
    }
    // A class declared, its declarations prepared, then used with a private member: no second copy of the class.
    const classDecl = prepared.convert(decl, "class Secret { private code = 1; reveal() { return this.code; } }", HANDOFF).declOutput ?? "";
    prepared.prepareDeclarations(classDecl);
    const hitsBefore = prepared.swapStats.preparedDeclarations;
    const used = prepared.convert(classDecl, "const s: Secret = new Secret();\ns.reveal()", HANDOFF);
    expect(used.diagnostics).toEqual([]);
    expect(prepared.swapStats.preparedDeclarations).toBe(hitsBefore + 1);
  });

  it("swaps made without TypeScript's watch program give what its program updates give, and are taken for ordinary cells", () => {
    // An update that only the cell's in-memory files asked for is swapped directly (watch-host.ts); everything else,
    // and the same notebook through a compiler without it, goes through TypeScript's watch program.
    const directProject = newProject();
    const watchedProject = newProject();
    const direct = createCellCompiler(directProject, { swapCells: true });
    const watched = createCellCompiler(watchedProject, { swapCells: true, directSwap: false });
    compilers.push(direct, watched);
    let decl = "";
    for (const cell of [...CELLS, ...EMIT_CELLS]) {
      const before = direct.swapStats.directSwaps;
      const fast = direct.convert(decl, cell.src, HANDOFF);
      const slow = watched.convert(decl, cell.src, HANDOFF);
      expect(comparable(fast, directProject), cell.src).toEqual(comparable(slow, watchedProject));
      // A cell that reaches outside itself (an import) is never swapped, directly or not.
      if (cell.swap === false) expect(direct.swapStats.directSwaps, cell.src).toBe(before);
      if (slow.diagnostics.length === 0) decl = slow.declOutput ?? "";
    }
    for (const [src, at] of COMPLETIONS) {
      const fast = direct.complete(decl, src, at ?? src.length);
      const slow = watched.complete(decl, src, at ?? src.length);
      expect({ ...fast, original: undefined }, src).toEqual({ ...slow, original: undefined });
    }
    for (const [src, at] of HOVERS) expect(direct.inspect(decl, src, at), src).toEqual(watched.inspect(decl, src, at));
    // Both took the swap alike; only one of them made its swaps directly.
    expect(direct.swapStats.swaps).toBe(watched.swapStats.swaps);
    expect(direct.swapStats.fullBuilds).toBe(watched.swapStats.fullBuilds);
    expect(direct.swapStats.directSwaps).toBeGreaterThan(direct.swapStats.swaps * 0.8);
    expect(watched.swapStats.directSwaps).toBe(0);
    console.log(`direct swaps: ${JSON.stringify(direct.swapStats)}`);
  });

  it("cells are emitted as CommonJS in one pass, token for token what the two passes give", () => {
    const oneProject = newProject();
    const twoProject = newProject();
    const one = createCellCompiler(oneProject, { swapCells: true });
    const two = createCellCompiler(twoProject, { swapCells: false, oneStepEmit: false });
    compilers.push(one, two);
    const cells = [...CELLS, ...EMIT_CELLS];
    let decl = "";
    let oneStep = 0;
    let sameText = 0;
    for (const cell of cells) {
      const before = transpileCacheStats().handedOver;
      const fast = one.convert(decl, cell.src, HANDOFF);
      const handedOver = transpileCacheStats().handedOver > before;
      const slow = two.convert(decl, cell.src, HANDOFF);
      const { output: fastOutput, ...fastRest } = comparable(fast, oneProject) as { output?: string };
      const { output: slowOutput, ...slowRest } = comparable(slow, twoProject) as { output?: string };
      expect(fastRest, cell.src).toEqual(slowRest);
      expect(fastOutput === undefined, cell.src).toBe(slowOutput === undefined);
      if (slowOutput !== undefined) {
        expect(jsTokens(fastOutput!), cell.src).toEqual(jsTokens(slowOutput));
        if (handedOver && fastOutput === slowOutput) sameText++;
      }
      // Imports, requires and module declarations keep two passes, and so does syntax the TypeScript transform marks
      // on its own output (enum IIFEs, decorators, `declare`).
      const expected = slow.diagnostics.length === 0 && !/\bimport\b|\brequire\b|\bnamespace\b|\bmodule\b|\benum\b|@|\bdeclare\b/.test(cell.src);
      if ("oneStep" in cell) expect(expected, cell.src).toBe(cell.oneStep !== false);
      expect(handedOver, `${cell.src}: ${expected ? "one pass" : "two passes"}`).toBe(expected);
      if (!handedOver && slowOutput !== undefined) expect(fastOutput, cell.src).toBe(slowOutput);
      if (handedOver) oneStep++;
      if (slow.diagnostics.length === 0) decl = slow.declOutput ?? "";
    }
    expect(oneStep).toBeGreaterThanOrEqual(55);
    // Most outputs are the very same text; the layout differs only where a block was written on one line.
    expect(sameText).toBeGreaterThan(oneStep / 2);
    console.log(`one pass: ${oneStep} cells, ${sameText} of them the very same text`);
  });

  it("declarations printed statement by statement from a memo are the text tslab prints whole", () => {
    const memoProject = newProject();
    const wholeProject = newProject();
    const memo = createCellCompiler(memoProject, { swapCells: true });
    const whole = createCellCompiler(wholeProject, { swapCells: true, declarationPrintMemo: false });
    compilers.push(memo, whole);
    expect(whole.declarationPrintStats).toBeUndefined();
    // After the notebooks above, the names whose declarations hold comments or a namespace are declared again.
    const redeclared = ["const documented = 1, commented = 2, Tools = 3;", "let join = 4, twice = 5;"];
    const cells = [...DECLARATION_CELLS, ...CELLS.map((cell) => cell.src), ...EMIT_CELLS.map((cell) => cell.src), ...redeclared, ...DECLARATION_CELLS];
    let memoDecl = "";
    let wholeDecl = "";
    for (const src of cells) {
      const fast = memo.convert(memoDecl, src, HANDOFF);
      const slow = whole.convert(wholeDecl, src, HANDOFF);
      expect(comparable(fast, memoProject), src).toEqual(comparable(slow, wholeProject));
      if (slow.diagnostics.length === 0) {
        memoDecl = fast.declOutput ?? "";
        wholeDecl = slow.declOutput ?? "";
      }
    }
    const stats = memo.declarationPrintStats!;
    // Declarations printed from the memo for most cells; the printer's own path for the files with comments or imports.
    expect(stats.files).toBeGreaterThan(40);
    expect(stats.reused).toBeGreaterThan(stats.printed);
    expect(stats.fallbacks).toBeGreaterThan(5);
    console.log(`declarations printed from the memo: ${JSON.stringify(stats)}`);
  });

  it("a cell after a changed global declaration (a %%track-style extra global) sees it, and loses it after", () => {
    const swapping = createCellCompiler(newProject(), { swapCells: true });
    compilers.push(swapping);
    expect(swapping.convert("", "1 + 1", HANDOFF).diagnostics).toEqual([]);
    expect(swapping.convert("", "2 + 2", HANDOFF).diagnostics).toEqual([]);
    // The program updates for a new global declarations file (new root files) are TypeScript's own, never a direct
    // swap with the old roots.
    const directSwapsNow = swapping.swapStats.directSwaps;
    swapping.setExtraGlobals({ trackedRun: "{ id: string }" });
    expect(swapping.swapStats.directSwaps).toBe(directSwapsNow);
    expect(swapping.convert("", "trackedRun.id.length", HANDOFF).diagnostics).toEqual([]);
    const directSwapsLater = swapping.swapStats.directSwaps;
    swapping.setExtraGlobals({});
    expect(swapping.swapStats.directSwaps).toBe(directSwapsLater);
    const after = swapping.convert("", "trackedRun.id.length + 1", HANDOFF);
    expect(after.diagnostics.map((d) => d.messageText)).toEqual(["Cannot find name 'trackedRun'."]);
    expect(swapping.convert("", "3 + 3", HANDOFF).diagnostics).toEqual([]);
  });
});
