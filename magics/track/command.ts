// %track / %%track: the magic's specs. Light at import time — the library, store and charts load inside `run`.
import type { MagicSpec } from "../types.js";

const HELP = `%%track [--name NAME] [--param k=v]… [--tags a,b] [--notes TEXT] [--splits train,val] [--panels loss,val.acc]
    Runs the cell body as a tracked run; \`run\` is in scope (run.log({ loss }, { step, split: "train" }),
    run.param, run.summary, run.samples(rows), run.artifact(path), run.callback() for model.fit,
    run.watch(model), run.gradNorm(grads)). Live charts update in place; the result is the run
    (id, name, params, final metrics) as data. run.log(m, { step, samples, tokens }) counts what a step
    processed: samples/s and tokens/s become system metrics. Charts group panels (train / val, gradients and
    learning rate, weights and units, system), key metrics first, large groups collapsed, per-layer series hidden;
    --panels loss,val.acc,gradients.*,system picks panels (metric, split.metric, split or group; * wildcard).
%track runs [--where EXPR] [--sort [-]KEY] [--limit N]
    Table of runs. EXPR: params.lr < 0.01 and val.acc > 0.9; name contains "mlp"; tags contains "baseline";
    status == "crashed"; params.act in ("relu", "tanh"); params.lr between 0.001 and 0.01; name ~ /mlp-\\d+/i;
    or, not …, ( … ). KEY: a param (params.lr), a final metric (val.acc), name, started.
%track show RUN [--samples OFFSET] [--panels P,…]  curves, params, metrics, environment, samples, artifacts
%track compare RUN RUN …                overlaid curves and diffs of params, metrics, environment, code, data
%track delete RUN                       deletes a run, its points, samples and artifacts
%track report RUN [--out PATH]          standalone HTML report (inline SVG charts), written inside the project
%track ui [--port N] [--host H] [--token T] [--allow-delete]
                                        dashboard over this kernel's store (runs, curves, compare, studies); shows the link
RUN is a run id, a unique id prefix, or a name (the latest run of that name).
Outside a magic: import { track } from "labnote"; const run = track.start({ name, params }); …; await run.end();`;

const commands = () => import("./commands.js");

export const magics: MagicSpec[] = [
  {
    name: "track",
    summary: "experiment tracking: live charts, runs table, compare, reports",
    help: HELP,
    cell: {
      summary: "run the cell as a tracked run",
      usage: "%%track [--name NAME] [--param k=v]… [--tags a,b] [--notes TEXT] [--splits train,val] [--panels loss,val.acc]",
      options: [
        { name: "name", type: "string", description: "run name (runs can be named by it later)" },
        { name: "param", type: "keyvalue", description: "hyperparameter, repeatable: --param lr=0.003" },
        { name: "tags", type: "list", description: "comma-separated tags" },
        { name: "notes", type: "string", description: "free-text notes" },
        { name: "splits", type: "list", description: "allowed splits (default: any identifier)" },
        { name: "panels", type: "list", description: "chart panels shown, in order: loss,val.acc,gradients.*,system (default: all groups, key metrics first)" },
      ],
      run: async (args, ctx) => (await commands()).trackCell(args, ctx),
    },
    line: {
      summary: "list runs (same as %track runs)",
      usage: "%track runs [--where EXPR] [--sort [-]KEY] [--limit N]",
      options: [
        { name: "where", type: "string", description: 'filter, e.g. "params.lr < 0.01 and val.acc > 0.9"' },
        { name: "sort", type: "string", description: "sort key, - for descending: -val.acc" },
        { name: "limit", type: "integer", description: "rows shown", default: 20 },
      ],
      run: async (args, ctx) => (await commands()).listRuns(args, ctx),
    },
    subcommands: {
      runs: {
        summary: "table of runs",
        usage: "%track runs [--where EXPR] [--sort [-]KEY] [--limit N]",
        options: [
          { name: "where", type: "string", description: 'filter, e.g. "params.lr < 0.01 and val.acc > 0.9"' },
          { name: "sort", type: "string", description: "sort key, - for descending: -val.acc" },
          { name: "limit", type: "integer", description: "rows shown", default: 20 },
        ],
        run: async (args, ctx) => (await commands()).listRuns(args, ctx),
      },
      show: {
        summary: "one run: curves, params, metrics, samples, artifacts",
        usage: "%track show RUN [--samples OFFSET] [--panels loss,val.acc]",
        positionals: [{ name: "ID", description: "run id, unique id prefix or name", required: true }],
        options: [
          { name: "samples", type: "integer", description: "first sample row shown", default: 0 },
          { name: "panels", type: "list", description: "chart panels shown, in order: loss,val.acc,gradients.*,system (default: all groups)" },
        ],
        run: async (args, ctx) => (await commands()).showRun(args, ctx),
      },
      compare: {
        summary: "overlaid curves and diffs of two or more runs",
        usage: "%track compare RUN RUN [RUN…]",
        positionals: [{ name: "ID", description: "runs (id, unique id prefix or name)", required: true, variadic: true }],
        run: async (args, ctx) => (await commands()).compareRuns(args, ctx),
      },
      delete: {
        summary: "delete a run and its data",
        usage: "%track delete RUN",
        positionals: [{ name: "ID", description: "run id, unique id prefix or name", required: true }],
        run: async (args, ctx) => (await commands()).deleteRun(args, ctx),
      },
      ui: {
        summary: "start the labnote ui dashboard for this kernel's store",
        usage: "%track ui [--port N] [--host H] [--token T] [--allow-delete]",
        options: [
          { name: "port", type: "integer", description: "first port tried (default 7007; the next free one if taken)" },
          { name: "host", type: "string", description: "address to bind (default 127.0.0.1; any other needs the token)" },
          { name: "token", type: "string", description: "access token (generated when the host is not loopback)" },
          { name: "allow-delete", type: "boolean", description: "let the dashboard delete runs" },
        ],
        run: async (args, ctx) => (await import("./ui.js")).startTrackUi(args, ctx),
      },
      report: {
        summary: "standalone HTML report of one run",
        usage: "%track report RUN [--out PATH]",
        positionals: [{ name: "ID", description: "run id, unique id prefix or name", required: true }],
        options: [{ name: "out", type: "string", description: "output path inside the project (default .labnote/reports/NAME-ID.html)" }],
        run: async (args, ctx) => (await commands()).reportRun(args, ctx),
      },
    },
  },
];
