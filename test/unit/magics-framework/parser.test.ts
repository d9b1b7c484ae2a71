// How cells and magic arguments are read.
import { describe, expect, it } from "vitest";
import { parseArguments, parseCell, selectCommand, tokenize } from "../../../magics/parser.js";
import type { CommandSpec, MagicSpec } from "../../../magics/types.js";
import { UsageError } from "../../../magics/types.js";

const runs: CommandSpec = {
  summary: "list runs",
  usage: "%track runs [--where EXPR] [--sort [-]KEY] [--limit N]",
  options: [
    { name: "where", type: "string", description: "filter" },
    { name: "sort", type: "string", description: "sort key" },
    { name: "limit", short: "n", type: "integer", description: "how many", default: 20 },
    { name: "mode", type: "string", description: "min or max", choices: ["min", "max"] },
    { name: "param", type: "keyvalue", description: "a parameter" },
    { name: "tags", type: "list", description: "tags" },
    { name: "lr", type: "number", description: "learning rate" },
    { name: "data", type: "boolean", description: "with data" },
  ],
  run: () => undefined,
};

const compare: CommandSpec = {
  summary: "compare",
  usage: "%track compare ID ID …",
  positionals: [{ name: "IDS", description: "run ids", variadic: true, required: true }],
  run: () => undefined,
};

const track: MagicSpec = { name: "track", summary: "tracking", help: "", subcommands: { runs, compare }, cell: { ...runs, usage: "%%track [--name N]" } };

function usageErrorOf(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (error) {
    if (error instanceof UsageError) return error;
    throw error;
  }
  throw new Error("expected a UsageError");
}

describe("parseCell", () => {
  it("reads a cell magic on the first line, its body the rest", () => {
    const cell = parseCell("%%track --name a\nrun.log({ loss: 1 });\nconst x = 2;");
    expect(cell.cellMagic).toMatchObject({ name: "track", args: "--name a", body: "run.log({ loss: 1 });\nconst x = 2;", help: false });
    expect(cell.code).toBe("");
  });

  it("reads several line magics at the top, then code, keeping the code's line numbers", () => {
    const cell = parseCell("%seed 7\n\n%env A=1\nconst a = 5 % 2;\n%notamagic");
    expect(cell.lineMagics.map((m) => [m.name, m.args])).toEqual([
      ["seed", "7"],
      ["env", "A=1"],
    ]);
    expect(cell.code).toBe("const a = 5 % 2;\n%notamagic");
    expect(cell.codeLine).toBe(3);
  });

  it("leaves a cell without magics untouched (modulo continuation lines included)", () => {
    const code = "const total = 17\n  % 5;";
    expect(parseCell(code)).toEqual({ lineMagics: [], code, codeLine: 0 });
  });

  it("recognises help requests", () => {
    expect(parseCell("%track?").lineMagics[0]).toMatchObject({ name: "track", help: true });
    expect(parseCell("%%tune?").cellMagic).toMatchObject({ name: "tune", help: true });
  });

  it("rejects a % line at the top that is not a magic, and a %% below the first line", () => {
    expect(usageErrorOf(() => parseCell("% 5")).message).toMatch(/not a magic/);
    expect(usageErrorOf(() => parseCell("%time 1\n%%time")).message).toMatch(/first line/);
  });
});

describe("tokenize", () => {
  it("splits like a shell", () => {
    expect(tokenize(`--where "params.lr < 0.01" --name 'a b' c\\ d "x\\"y"`)).toEqual(["--where", "params.lr < 0.01", "--name", "a b", "c d", 'x"y']);
  });
  it("reports an unterminated quote", () => {
    expect(usageErrorOf(() => tokenize(`--name "open`)).message).toMatch(/Unterminated double quote/);
  });
});

describe("parseArguments", () => {
  it("types values, fills defaults and reads every option form", () => {
    const args = parseArguments(runs, `--where "x > 1" --sort=-val.acc -n 5 --mode max --param lr=0.003 --param act=relu --param deep=true --tags a,b --tags c --lr 1e-3 --data`);
    expect(args.options).toEqual({
      where: "x > 1",
      sort: "-val.acc",
      limit: 5,
      mode: "max",
      param: { lr: 0.003, act: "relu", deep: true },
      tags: ["a", "b", "c"],
      lr: 0.001,
      data: true,
    });
    expect(parseArguments(runs, "").options.limit).toBe(20);
  });

  it("turns every mistake into a UsageError carrying the usage", () => {
    for (const [text, message] of [
      ["--limit 2.5", /whole number/],
      ["--lr fast", /expects a number/],
      ["--mode median", /one of min, max/],
      ["--bogus 1", /Unknown option --bogus/],
      ["--sort", /needs a value/],
      ["--param lr", /KEY=VALUE/],
      ["stray", /Unexpected argument "stray"/],
    ] as const) {
      const error = usageErrorOf(() => parseArguments(runs, text));
      expect(error.message).toMatch(message);
      expect(error.usage).toBe(runs.usage);
    }
  });

  it("collects variadic positionals and requires them", () => {
    expect(parseArguments(compare, "a1 b2 c3").positionals.IDS).toEqual(["a1", "b2", "c3"]);
    expect(usageErrorOf(() => parseArguments(compare, "")).message).toMatch(/Missing IDS/);
  });
});

describe("selectCommand", () => {
  it("picks the subcommand, the cell form, or explains what exists", () => {
    expect(selectCommand(track, false, "runs --limit 3")).toMatchObject({ command: runs, rest: "--limit 3", subcommand: "runs" });
    expect(selectCommand(track, true, "--name x").command.usage).toBe("%%track [--name N]");
    expect(usageErrorOf(() => selectCommand(track, false, "explode")).message).toMatch(/no subcommand "explode"; use one of: runs, compare/);
  });
});
