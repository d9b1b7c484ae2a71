// The classic magics every kernel has: %time / %%time, %timeit, %env, %lsmagic.
import type { MagicContext, MagicResult, MagicSpec, ParsedArgs } from "../types.js";
import { registeredMagics } from "../registry.js";
import { UsageError } from "../types.js";

export const PERCENT_RULE =
  "How % is read: a line that starts with % at the top of a cell is a line magic (%name args; several may " +
  "follow each other, then code); %%name on the first line makes the whole cell a cell magic whose body is " +
  "the rest of the cell. TypeScript's % (modulo) is binary, so it never starts a statement, and a continuation " +
  "line such as `a\\n% b` is never at the top of a cell. %name? opens the magic's help.";

function formatDuration(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(3)} s`;
  if (ms >= 1) return `${ms.toFixed(3)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(3)} µs`;
  return `${(ms * 1e6).toFixed(1)} ns`;
}

function cpuMs(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1000;
}

async function timeCode(code: string, ctx: MagicContext, runAsCell: boolean): Promise<MagicResult> {
  if (code.trim() === "") throw new UsageError("Nothing to time: give an expression (%time EXPR) or a cell body (%%time).", "%time EXPR");
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const value = runAsCell ? await ctx.execute(code) : await ctx.evaluate(code);
  const wallMs = performance.now() - start;
  const cpu = process.cpuUsage(cpuBefore);
  const timing = `CPU times: user ${formatDuration(cpu.user / 1000)}, sys ${formatDuration(cpu.system / 1000)}, total ${formatDuration(cpuMs(cpu))}\nWall time: ${formatDuration(wallMs)}`;
  if (value !== undefined) ctx.display(value);
  return {
    data: { wallMs, cpuUserMs: cpu.user / 1000, cpuSystemMs: cpu.system / 1000, cpuMs: cpuMs(cpu) },
    text: timing,
  };
}

interface TimeitOptions {
  loops?: number;
  runs: number;
}

function parseTimeitArgs(rest: string): TimeitOptions & { expression: string } {
  const usage = "%timeit [-n LOOPS] [-r RUNS] EXPR";
  let text = rest.trim();
  const options: TimeitOptions = { runs: 7 };
  for (;;) {
    const match = /^-(n|r)\s*(\S+)\s*/.exec(text);
    if (!match) break;
    const value = Number(match[2]);
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`-${match[1]} expects a whole number ≥ 1; got "${match[2]}".`, usage);
    if (match[1] === "n") options.loops = value;
    else options.runs = value;
    text = text.slice(match[0].length);
  }
  if (text === "") throw new UsageError("Nothing to time: give an expression after the options.", usage);
  return { ...options, expression: text };
}

/** Mean and sample standard deviation. */
function meanStd(values: number[]): { mean: number; std: number } {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.length > 1 ? values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1) : 0;
  return { mean, std: Math.sqrt(variance) };
}

async function timeit(args: ParsedArgs, ctx: MagicContext): Promise<MagicResult> {
  const { expression, loops: fixedLoops, runs } = parseTimeitArgs(args.rest);
  // The expression becomes a function body so each loop re-evaluates it; async expressions are awaited.
  const body = `return (\n${expression}\n);`;
  const fn = await ctx.compileFunction(body, []);
  const timeLoops = async (loops: number): Promise<number> => {
    const start = performance.now();
    for (let i = 0; i < loops; i++) await fn();
    return performance.now() - start;
  };
  let loops = fixedLoops ?? 1;
  if (fixedLoops === undefined) {
    // Like IPython: grow the loop count 1, 2, 5, 10, 20, 50, … until one run takes at least 0.2 s.
    const steps = [1, 2, 5];
    for (let exponent = 0; ; exponent++) {
      let done = false;
      for (const step of steps) {
        loops = step * 10 ** exponent;
        if (ctx.signal.aborted) throw ctx.signal.reason;
        if ((await timeLoops(loops)) >= 200 || loops >= 1e7) {
          done = true;
          break;
        }
      }
      if (done) break;
    }
  }
  const perLoop: number[] = [];
  for (let r = 0; r < runs; r++) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    perLoop.push((await timeLoops(loops)) / loops);
  }
  const { mean, std } = meanStd(perLoop);
  const text = `${formatDuration(mean)} ± ${formatDuration(std)} per loop (mean ± std. dev. of ${runs} run${runs === 1 ? "" : "s"}, ${loops} loop${loops === 1 ? "" : "s"} each)`;
  return { data: { mean, std, loops, runs, unit: "ms", best: Math.min(...perLoop), perLoop }, text };
}

function envMagic(args: ParsedArgs): MagicResult {
  const text = args.rest.trim();
  if (text === "") {
    const variables = Object.fromEntries(Object.entries(process.env).sort(([a], [b]) => a.localeCompare(b)));
    return { data: variables, text: Object.entries(variables).map(([k, v]) => `${k}=${v}`).join("\n") };
  }
  const assignment = /^([A-Za-z_][\w]*)\s*[=\s]\s*([\s\S]*)$/.exec(text);
  if (assignment && (text.includes("=") || /\s/.test(text))) {
    const [, name, raw] = assignment;
    const value = raw.replace(/^(["'])([\s\S]*)\1$/, "$2");
    process.env[name] = value;
    return { data: { [name]: value }, text: `env: ${name}=${value}` };
  }
  if (!/^[A-Za-z_]\w*$/.test(text)) throw new UsageError(`"${text}" is not a variable name.`, "%env [NAME[=VALUE]]");
  const value = process.env[text];
  if (value === undefined) throw new UsageError(`Environment variable ${text} is not set. Set it with %env ${text}=VALUE.`, "%env [NAME[=VALUE]]");
  return { data: { [text]: value }, text: value };
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/** The %lsmagic result for the registered magics. */
function lsmagic(specs: MagicSpec[]): MagicResult {
  const rows = specs.map((spec) => ({
    name: spec.name,
    summary: spec.summary,
    line: spec.line !== undefined || spec.subcommands !== undefined ? `%${spec.name}` : null,
    cell: spec.cell !== undefined ? `%%${spec.name}` : null,
    subcommands: Object.keys(spec.subcommands ?? {}),
  }));
  const lineMagics = rows.filter((r) => r.line).map((r) => r.line as string);
  const cellMagics = rows.filter((r) => r.cell).map((r) => r.cell as string);
  const text = [
    `Line magics: ${lineMagics.join("  ")}`,
    `Cell magics: ${cellMagics.join("  ")}`,
    "",
    ...rows.map((r) => `${[r.line, r.cell].filter(Boolean).join(" / ").padEnd(24)} ${r.summary}${r.subcommands.length ? ` (${r.subcommands.join(", ")})` : ""}`),
    "",
    PERCENT_RULE,
    "Type %name? for a magic's help.",
  ].join("\n");
  const html =
    "<table><thead><tr><th>magic</th><th>forms</th><th>summary</th></tr></thead><tbody>" +
    rows
      .map((r) => `<tr><td>${escapeHtml(r.name)}</td><td>${escapeHtml([r.line, r.cell].filter(Boolean).join(" "))}</td><td>${escapeHtml(r.summary)}</td></tr>`)
      .join("") +
    "</tbody></table>";
  return { data: { magics: rows, line: lineMagics, cell: cellMagics }, text, html };
}

export const magics: MagicSpec[] = [
  {
    name: "time",
    summary: "Wall-clock and CPU time of an expression (%time) or of a whole cell (%%time)",
    help: "%time EXPR evaluates the TypeScript expression once and reports wall and CPU time; the value is still shown.\n%%time runs the cell body like a normal cell (declarations persist) and times it.",
    line: { summary: "time one expression", usage: "%time EXPR", rawArgs: true, run: (args, ctx) => timeCode(args.rest, ctx, false) },
    cell: { summary: "time the cell body", usage: "%%time", rawArgs: true, run: (args, ctx) => timeCode(args.body, ctx, true) },
  },
  {
    name: "timeit",
    summary: "Mean ± std of an expression's run time over repeated loops",
    help: "%timeit [-n LOOPS] [-r RUNS] EXPR\nRuns EXPR LOOPS times per run, RUNS runs (default 7). Without -n the loop count grows (1, 2, 5, 10, …) until a run takes 0.2 s, like IPython. Promises are awaited. The result's data is {mean, std, loops, runs, unit: \"ms\"} (per loop).",
    line: { summary: "time an expression", usage: "%timeit [-n LOOPS] [-r RUNS] EXPR", rawArgs: true, run: timeit },
  },
  {
    name: "env",
    summary: "List, read or set environment variables of the kernel",
    help: "%env lists every variable; %env NAME shows one; %env NAME=VALUE (or %env NAME VALUE) sets it for the kernel process.",
    line: { summary: "environment variables", usage: "%env [NAME[=VALUE]]", rawArgs: true, run: (args) => envMagic(args) },
  },
  {
    name: "lsmagic",
    summary: "List every magic with its line and cell forms",
    help: `%lsmagic lists the registered magics (text, an HTML table and application/json data).\n\n${PERCENT_RULE}`,
    line: { summary: "list magics", usage: "%lsmagic", run: () => lsmagic(registeredMagics()) },
  },
];
