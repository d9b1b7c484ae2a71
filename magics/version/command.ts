// %version — snapshots, named versions, data declarations, diff/checkout/repro, push/pull and forget.
// Light at import time: the library is imported inside `run` and `setup`.
import type { Display, KernelServices, MagicContext, MagicResult, MagicSpec, ParsedArgs } from "../types.js";
import { MagicError } from "../types.js";

const HELP = `%version — versioning with isomorphic-git

Every executed cell is snapshotted automatically (code, execution count, time, outputs summary, and the sha256 of
every data file it read under the project) as commits on refs/labnote/<notebook>/cells of the notebook's repository.
Your branches, HEAD, index and working tree are never touched; \`git log refs/labnote/<notebook>/cells\` reads them.

  %version data PATH [--test]          declare a file or directory the next runs use (--test: held-out test data)
  %version commit -m MSG               a named version: notebook as executed, data manifest, environment, runs
  %version log [--limit N]             versions, newest first (@, @~1, …)
  %version diff A B                    per-cell code diff, data added/removed/modified, environment, metrics
  %version diff A B --rows [--key COL] [--path FILE]   rows added/removed/changed, schema and drift of table data
  %version checkout V [--data]         code into a new notebook file; --data restores data from .labnote/cache
  %version push REMOTE [--data DIR] [--force]   refs/labnote/* to a git HTTP remote; data cache to DIR (path or
                                       file://); --force replaces the remote's history after forget --scrub
  %version pull REMOTE [--data DIR]    the same, the other way
  %version repro V                     what differs now from V: code, data, environment, seed, nondeterminism
  %version repro V --run [--tolerance T] [--backend NAME] [--timeout S] [--current]
                                       re-execute V headless in a fresh kernel (scratch directory, removed after)
                                       and compare runs, whole curves, cell outputs and data hashes with V:
                                       verdict identical | within-tolerance | differs, stored as a run tagged repro
  %version resolve PATH --take ours|theirs   settle a data conflict a pull of a diverged history reported
  %version forget PATH|HASH --reason TEXT [--scrub]   remove the bytes and their rows from every cache, remote data
                                       directory, run artifact and SQLite store it knows; later checkouts say why;
                                       --scrub rewrites refs/labnote commits whose outputs hold them; ends with where
                                       the content still appears

Versions are named by id, a unique id prefix, @ (latest) or @~N. Data bytes live in .labnote/cache (never in git),
copied there by default; LABNOTE_CACHE=link hard-links instead (faster, no extra disk, but editing a file in place
then alters the cached copy — restores detect it). LABNOTE_AUTOSNAPSHOT=off turns the per-cell snapshots off.`;

const VERSION_HINT = "V is a version id, a unique prefix, @ or @~N";

async function library() {
  const [{ versionApi }, { currentSession }, render, progress] = await Promise.all([import("./api.js"), import("./session.js"), import("./render.js"), import("../../widgets/progress.js")]);
  // Every command sees the snapshots of the cells before it.
  await currentSession().flush();
  return { api: versionApi(currentSession), session: currentSession(), render, createProgress: progress.createProgress };
}

/** A progress callback that only shows a bar once the work has taken more than a second. */
function lazyProgress(display: Display, createProgress: typeof import("../../widgets/progress.js").createProgress, description: string) {
  const started = Date.now();
  let bar: ReturnType<typeof createProgress> | undefined;
  return {
    onProgress(done: number, total: number) {
      if (!bar && Date.now() - started < 1000) return;
      bar ??= createProgress(display, { total: Math.max(1, Math.round(total / 1e6)), description });
      bar.update(Math.round(done / 1e6), `${description} (MB)`);
    },
    finish() {
      bar?.done(`${description}: done`);
    },
  };
}

/** Background snapshot failures are reported at the next %version command, never on the execute path. */
async function reportSnapshotErrors(ctx: MagicContext): Promise<void> {
  const { currentSession } = await import("./session.js");
  const session = currentSession();
  for (const report of session.snapshotReports.splice(0)) {
    if (report.error) ctx.warn(`auto-snapshot of cell [${report.executionCount}] failed: ${report.error}`);
    for (const problem of report.manifest?.problems ?? []) ctx.warn(`auto-snapshot of cell [${report.executionCount}]: ${problem.message}`);
  }
}

function positional(args: ParsedArgs, name: string): string {
  const value = args.positionals[name];
  if (typeof value !== "string" || value === "") throw new MagicError(`${name} is missing`);
  return value;
}

export const magics: MagicSpec[] = [
  {
    name: "version",
    summary: "Snapshots and versions of code, data and environment (isomorphic-git on refs/labnote/*)",
    help: HELP,
    subcommands: {
      data: {
        summary: "Declare a data file or directory the next runs use",
        usage: "%version data PATH [--test]",
        positionals: [{ name: "PATH", description: "file or directory inside the project", required: true }],
        options: [{ name: "test", type: "boolean", description: "mark as test data (the %tune guard refuses objectives read from it)" }],
        async run(args, ctx): Promise<MagicResult> {
          const { session, render, createProgress } = await library();
          await reportSnapshotErrors(ctx);
          const progress = lazyProgress(ctx.display, createProgress, "hashing data");
          const { declareData } = await import("./api.js");
          const declared = await declareData(session, positional(args, "PATH"), { test: args.options.test === true, onProgress: progress.onProgress });
          progress.finish();
          for (const problem of declared.manifest.problems) ctx.warn(problem.message);
          const { manifest } = declared;
          return { data: { path: declared.path, test: declared.test, items: manifest.items, files: manifest.files, problems: manifest.problems }, text: render.renderDeclared(declared) };
        },
      },
      commit: {
        summary: "Make a named version",
        usage: '%version commit -m "MESSAGE"',
        options: [{ name: "message", short: "m", type: "string", description: "what this version is", required: true }],
        async run(args, ctx): Promise<MagicResult> {
          const { session, render, createProgress } = await library();
          const { commitVersion } = await import("./versions.js");
          const message = String(args.options.message ?? "").trim();
          if (!message) throw new MagicError('the message is empty: %version commit -m "what this version is"');
          const progress = lazyProgress(ctx.display, createProgress, "hashing data");
          const version = await commitVersion(session, { message, onProgress: progress.onProgress });
          progress.finish();
          await reportSnapshotErrors(ctx);
          for (const problem of version.data.problems) ctx.warn(problem.message);
          return { data: version, text: render.renderCommit(version) };
        },
      },
      log: {
        summary: "List versions, newest first",
        usage: "%version log [--limit N]",
        options: [{ name: "limit", type: "integer", description: "how many", default: 20 }],
        async run(args): Promise<MagicResult> {
          const { api, render } = await library();
          const versions = await api.log(Number(args.options.limit ?? 20));
          const { text, html } = render.renderLog(versions);
          return { data: versions, text, html };
        },
      },
      diff: {
        summary: "Compare two versions",
        usage: "%version diff A B [--rows [--key COL] [--path FILE]]",
        positionals: [
          { name: "A", description: VERSION_HINT, required: true },
          { name: "B", description: VERSION_HINT, required: true },
        ],
        options: [
          { name: "rows", type: "boolean", description: "row-level diff of the table files that differ (CSV, TSV, JSON Lines, JSON arrays); A and B may also be two files" },
          { name: "key", type: "string", description: "with --rows: the column that identifies a row (without it rows are compared by content)" },
          { name: "path", type: "string", description: "with --rows: only this data file" },
        ],
        async run(args): Promise<MagicResult> {
          const { api, session } = await library();
          if (args.options.rows === true) {
            const [{ diffVersionRows }, rowRender] = await Promise.all([import("./row-diff-versions.js"), import("./row-diff-render.js")]);
            const key = typeof args.options.key === "string" ? args.options.key : undefined;
            const path = typeof args.options.path === "string" ? args.options.path : undefined;
            const rows = await diffVersionRows(session, positional(args, "A"), positional(args, "B"), { key, path });
            return { data: rows, text: rowRender.renderRowDiffText(rows), html: rowRender.renderRowDiffHtml(rows) };
          }
          if (args.options.key !== undefined || args.options.path !== undefined) throw new MagicError("--key and --path go with --rows: %version diff A B --rows --key COL");
          const { renderVersionDiff } = await import("./diff.js");
          const diff = await api.diff(positional(args, "A"), positional(args, "B"));
          return { data: diff, text: renderVersionDiff(diff) };
        },
      },
      checkout: {
        summary: "Code of a version into a new notebook; --data restores its data",
        usage: "%version checkout V [--data]",
        positionals: [{ name: "V", description: VERSION_HINT, required: true }],
        options: [{ name: "data", type: "boolean", description: "restore the version's data files from the cache" }],
        async run(args, ctx): Promise<MagicResult> {
          const { api, render } = await library();
          const result = await api.checkout(positional(args, "V"), { data: args.options.data === true });
          for (const entry of [...result.data.missing, ...result.data.refused]) ctx.warn(entry.message);
          return { data: result, text: render.renderCheckout(result) };
        },
      },
      push: {
        summary: "Push refs/labnote/* (git HTTP) and the data cache (directory)",
        usage: "%version push REMOTE [--data DIR] [--force]",
        positionals: [{ name: "REMOTE", description: "http(s) git URL, or a directory / file:// URL for the data cache", required: true }],
        options: [
          { name: "data", type: "string", description: "data cache directory (path or file:// URL)" },
          { name: "force", type: "boolean", description: "replace the remote's refs/labnote history (after %version forget --scrub rewrote it)" },
        ],
        async run(args): Promise<MagicResult> {
          const { api, render } = await library();
          const data = typeof args.options.data === "string" ? args.options.data : undefined;
          const result = await api.push(positional(args, "REMOTE"), { ...(data ? { data } : {}), force: args.options.force === true });
          return { data: result, text: render.renderSync("push", result) };
        },
      },
      pull: {
        summary: "Pull refs/labnote/* (git HTTP) and the data cache (directory)",
        usage: "%version pull REMOTE [--data DIR]",
        positionals: [{ name: "REMOTE", description: "http(s) git URL, or a directory / file:// URL for the data cache", required: true }],
        options: [{ name: "data", type: "string", description: "data cache directory (path or file:// URL)" }],
        async run(args): Promise<MagicResult> {
          const { api, render } = await library();
          const data = typeof args.options.data === "string" ? args.options.data : undefined;
          const result = await api.pull(positional(args, "REMOTE"), data ? { data } : {});
          return { data: result, text: render.renderSync("pull", result) };
        },
      },
      repro: {
        summary: "What differs now from a version; --run re-executes it in a fresh kernel and compares",
        usage: "%version repro V [--run [--tolerance T] [--backend NAME] [--timeout S] [--current]]",
        positionals: [{ name: "V", description: VERSION_HINT, required: true }],
        options: [
          { name: "run", type: "boolean", description: "re-execute V headless in a fresh kernel in a scratch directory and compare runs, curves, outputs and data" },
          { name: "tolerance", type: "number", description: "relative tolerance for numbers (absolute below 1); default 1e-6" },
          { name: "backend", type: "string", description: "tfjs backend for the re-run (default: the one V recorded)" },
          { name: "timeout", type: "number", description: "seconds a cell may run before it is interrupted (default 600)" },
          { name: "current", type: "boolean", description: "with --run: re-run the code as executed now in this kernel, compared with V" },
        ],
        async run(args, ctx): Promise<MagicResult> {
          if (args.options.run === true) {
            const { session } = await library();
            const { runReproInSession, reproMagicResult } = await import("./repro/command-run.js");
            const status = ctx.display.handle();
            const result = await runReproInSession(session, {
              spec: positional(args, "V"),
              tolerance: typeof args.options.tolerance === "number" ? args.options.tolerance : undefined,
              backend: typeof args.options.backend === "string" ? args.options.backend : undefined,
              timeoutSeconds: typeof args.options.timeout === "number" ? args.options.timeout : undefined,
              current: args.options.current === true,
              onProgress: (message) => status.text(`repro: ${message}`),
            });
            status.text(`repro: ${result.verdict}`);
            return reproMagicResult(result);
          }
          if (["tolerance", "backend", "timeout", "current"].some((name) => args.options[name] !== undefined)) throw new MagicError("--tolerance, --backend, --timeout and --current go with --run: %version repro V --run --tolerance 1e-4");
          const { api, render } = await library();
          const report = await api.repro(positional(args, "V"));
          return { data: report, text: render.renderRepro(report) };
        },
      },
      resolve: {
        summary: "Settle a data conflict of a pulled, diverged history",
        usage: "%version resolve PATH --take ours|theirs",
        positionals: [{ name: "PATH", description: "a data path %version pull or diff reported as a conflict", required: true }],
        options: [{ name: "take", type: "string", description: "ours (this machine's bytes) or theirs (the pulled remote's)", required: true }],
        async run(args): Promise<MagicResult> {
          const { api } = await library();
          const take = String(args.options.take ?? "");
          if (take !== "ours" && take !== "theirs") throw new MagicError(`--take is ours or theirs, not "${take}": %version resolve PATH --take ours|theirs`);
          const result = await api.resolveConflict(positional(args, "PATH"), take);
          const text = [`resolved ${result.path}: took ${result.take} (sha256 ${result.sha256.slice(0, 12)}…) in version ${result.version.slice(0, 10)} (now @)`, `  ${result.file.message}`].join("\n");
          return { data: result, text };
        },
      },
      forget: {
        summary: "Remove data bytes from every cache, remote, artifact and store it knows (GDPR), leaving a tombstone",
        usage: '%version forget PATH|HASH --reason "TEXT" [--scrub]',
        positionals: [{ name: "TARGET", description: "a data path used in versions or snapshots, or a sha256", required: true }],
        options: [
          { name: "reason", type: "string", description: "why (shown to later checkouts)", required: true },
          { name: "scrub", type: "boolean", description: "also rewrite the refs/labnote commits whose stored outputs hold the content" },
        ],
        async run(args): Promise<MagicResult> {
          const { api } = await library();
          const { renderForgetReport } = await import("./forget-render.js");
          const result = await api.forget(positional(args, "TARGET"), String(args.options.reason ?? ""), { scrub: args.options.scrub === true });
          return { data: result, text: renderForgetReport(result) };
        },
      },
    },
  },
];

/** Installs the auto-snapshot hooks (cheap: the read observer and the session; git is loaded on first snapshot). */
export async function setup(kernel: KernelServices): Promise<void> {
  const { VersionSession, setSession } = await import("./session.js");
  const session = new VersionSession({
    projectDir: kernel.projectDir,
    kernelId: kernel.kernelId,
    notebookPath: kernel.notebookPath,
    lastRequestAt: kernel.lastRequestAt ? () => kernel.lastRequestAt!() : undefined,
  });
  setSession(session);
  // The notebook as executed is recorded even with auto-snapshots off: %version commit stores it.
  kernel.addCellHooks(session.executed.hooks());
  // LABNOTE_AUTOSNAPSHOT=off keeps the magics but stops snapshotting every cell (e.g. a repository you must not write).
  if (!/^(0|off|false|no)$/i.test(process.env.LABNOTE_AUTOSNAPSHOT ?? "")) kernel.addCellHooks(session.hooks());
  // The last cells' snapshots are still being written in the background when the user shuts the kernel down.
  kernel.onShutdown?.(() => session.flush());
}
