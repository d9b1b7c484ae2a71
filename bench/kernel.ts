// npm run bench:kernel — labnote against a standalone tslab and Deno's built-in Jupyter kernel, through
// jupyter_client, in one run on this machine. Each request is timed to its reply and to the kernel's `idle` for it:
// start-up to the first kernel_info_reply, the first `1 + 1` after it, execute of the same and of new text, declaration
// cells, completion of the same and of new text; then new text and declaration cells again with a pause before each
// (PACED_MS, as a user types between cells: a kernel that was idle answers from a cold CPU). Prints the machine, the anchors' versions and how they were
// installed, a table of medians with the spread across kernel starts, and labnote's ratio against each anchor.
// Kernelspecs are written into a temporary JUPYTER_PATH so the user's Jupyter set-up is never touched.
//
// Environment: BENCH_ROUNDS (40), BENCH_PACED_ROUNDS (20, 0 leaves the paced measures out), BENCH_REPEATS (kernel starts per kernel, 4), BENCH_KERNELS (labnote,tslab,deno),
// BENCH_ANCHORS_DIR (where tslab and deno are npm-installed; default <tmp>/labnote-bench-anchors, reused),
// BENCH_BASELINE (another built labnote checkout, measured in the same run as "baseline": before/after comparisons).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { installAnchors, type KernelUnderTest } from "./kernel-anchors.js";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = "/usr/bin/python3";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 4);
const PACED_ROUNDS = Number(process.env.BENCH_PACED_ROUNDS ?? 20);
/** The pause before each paced request (bench_kernel.py's default). */
const PACED_MS = 100;
const KERNELS = (process.env.BENCH_KERNELS ?? "labnote,tslab,deno").split(",").map((name) => name.trim()).filter(Boolean);
const ANCHORS_DIR = process.env.BENCH_ANCHORS_DIR ?? join(tmpdir(), "labnote-bench-anchors");

interface Timed {
  reply: number[];
  idle: number[];
}

interface Sample {
  kernel: string;
  startup: number;
  first_execute: { reply: number; idle: number };
  execute: Timed;
  execute_fresh: Timed;
  declare: Timed;
  complete: Timed;
  complete_fresh: Timed;
  /** The same as execute_fresh and declare, with PACED_MS of quiet before each request. */
  execute_fresh_paced: Timed;
  declare_paced: Timed;
  /** Completion requests the kernel never answered (the measure stops at the first). */
  unanswered: number;
  type_error_caught: boolean;
  type_error: string | null;
  node_types_known: boolean;
  /** 1-minute load average when this kernel start began. */
  load: number;
}

type SeriesKey = "execute" | "execute_fresh" | "declare" | "complete" | "complete_fresh" | "execute_fresh_paced" | "declare_paced";

function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const median = (values: number[]): number => quantile(values, 0.5);

function writeKernelspec(jupyterPath: string, kernel: KernelUnderTest): string {
  const name = `bench-${kernel.name}`;
  const directory = join(jupyterPath, "kernels", name);
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "kernel.json"), JSON.stringify({ argv: kernel.argv, display_name: name, language: "typescript", interrupt_mode: "signal" }));
  return name;
}

/** One row of the table: a number per kernel start, and the number over all of them. */
interface Row {
  label: string;
  perStart: (sample: Sample) => number;
  overall: (samples: Sample[]) => number;
}

function seriesRow(label: string, key: SeriesKey, to: keyof Timed, q = 0.5): Row {
  return {
    label,
    perStart: (sample) => quantile(sample[key][to], q),
    overall: (samples) => quantile(samples.flatMap((sample) => sample[key][to]), q),
  };
}

function singleRow(label: string, value: (sample: Sample) => number): Row {
  return { label, perStart: value, overall: (samples) => median(samples.map(value)) };
}

const ROWS: Row[] = [
  singleRow("start-up to first kernel_info_reply", (s) => s.startup),
  singleRow("first execute `1 + 1`, to reply", (s) => s.first_execute.reply),
  singleRow("first execute `1 + 1`, to idle", (s) => s.first_execute.idle),
  singleRow("FIRST RESULT: start-up + first execute to idle", (s) => s.startup + s.first_execute.idle),
  seriesRow("execute `1 + 1` p50, to reply", "execute", "reply"),
  seriesRow("execute `1 + 1` p50, to idle", "execute", "idle"),
  seriesRow("execute `${i} + 1` p50, to reply", "execute_fresh", "reply"),
  seriesRow("execute `${i} + 1` p50, to idle", "execute_fresh", "idle"),
  seriesRow("declaration cell p50, to reply", "declare", "reply"),
  seriesRow("declaration cell p50, to idle", "declare", "idle"),
  seriesRow("declaration cell p95, to idle", "declare", "idle", 0.95),
  seriesRow("completion `Math.fl` p50, to reply", "complete", "reply"),
  seriesRow("completion `Math.fl` p50, to idle", "complete", "idle"),
  seriesRow("completion new text p50, to reply", "complete_fresh", "reply"),
  seriesRow("completion new text p50, to idle", "complete_fresh", "idle"),
  ...(PACED_ROUNDS > 0
    ? [
        seriesRow(`execute new text, paced ${PACED_MS} ms, p50 to idle`, "execute_fresh_paced", "idle"),
        seriesRow(`declaration cell, paced ${PACED_MS} ms, p50 to idle`, "declare_paced", "idle"),
      ]
    : []),
];

/** One kernel start; a kernel that fails (crashes, never answers) gives the reason instead, and the bench goes on. */
function runOnce(kernelName: string, jupyterPath: string, projectsIn: string): Sample | { failure: string } {
  const project = mkdtempSync(join(projectsIn, "bench-project-"));
  const load = loadavg()[0]!;
  try {
    return measure(kernelName, jupyterPath, project, load);
  } catch (error) {
    const failed = error as { stderr?: string; message?: string };
    // The last line of a Python traceback names the exception (the kernel's own stderr may precede it).
    const lines = (failed.stderr || failed.message || String(error)).trim().split("\n");
    // Its last line names the exception; a cut-off traceback ends in a caret line instead: take the last named error.
    const named = lines.findLast((line) => /^[A-Za-z_.]*(Error|Exception|Interrupt)\b/.test(line));
    const reason = named ?? `traceback cut off at: ${(lines.findLast((line) => !/^\s*[\^~]+\s*$/.test(line)) ?? "").trim()}`;
    return { failure: `${reason.trim()}${lines.length > 1 ? ` (${lines.length} lines of stderr)` : ""}` };
  } finally {
    // Projects may live in an anchor's install directory: leave nothing there.
    rmSync(project, { recursive: true, force: true });
  }
}

function measure(kernelName: string, jupyterPath: string, project: string, load: number): Sample {
  const stdout = execFileSync(PYTHON, [join(REPO, "test", "clients", "py", "bench_kernel.py"), kernelName, project, String(ROUNDS), String(PACED_ROUNDS), String(PACED_MS / 1000)], {
    cwd: project,
    env: { ...process.env, JUPYTER_PATH: jupyterPath, JUPYTER_PLATFORM_DIRS: "1" },
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
    maxBuffer: 16 * 1024 * 1024,
  });
  return { ...(JSON.parse(stdout.trim().split("\n").at(-1)!) as Omit<Sample, "load">), load };
}

function format(value: number): string {
  return Number.isFinite(value) ? value.toFixed(1) : "—";
}

function main(): void {
  const scratch = mkdtempSync(join(tmpdir(), "labnote-bench-"));
  const jupyterPath = join(scratch, "jupyter");
  const labnote: KernelUnderTest = {
    name: "labnote",
    argv: [process.execPath, join(REPO, "bin", "labnote.js"), "kernel", "-f", "{connection_file}"],
    version: `labnote (this checkout, dist/ built by npm run build)`,
    installedBy: REPO,
  };
  const { anchors, problems } = installAnchors(ANCHORS_DIR, process.execPath, KERNELS.filter((name) => name !== "labnote"));
  const baselineDir = process.env.BENCH_BASELINE;
  const baseline: KernelUnderTest[] = baselineDir
    ? [{ name: "baseline", argv: [process.execPath, join(resolve(baselineDir), "bin", "labnote.js"), "kernel", "-f", "{connection_file}"], version: "labnote (another checkout)", installedBy: resolve(baselineDir) }]
    : [];
  const kernels = [...(KERNELS.includes("labnote") ? [labnote] : []), ...baseline, ...anchors];
  const specNames = new Map(kernels.map((kernel) => [kernel.name, writeKernelspec(jupyterPath, kernel)]));
  const samples = new Map<string, Sample[]>(kernels.map((kernel) => [kernel.name, []]));
  const loadBefore = loadavg()[0]!;
  const failures: string[] = [];
  // Alternate the kernels so that background load on the shared machine hits all alike.
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const kernel of kernels) {
      const result = runOnce(specNames.get(kernel.name)!, jupyterPath, kernel.projectsIn ?? scratch);
      if ("failure" in result) failures.push(`${kernel.name}, start ${repeat + 1}: ${result.failure}`);
      else samples.get(kernel.name)!.push(result);
    }
  }
  const loadAfter = loadavg()[0]!;

  console.log(`machine: ${cpus()[0]?.model ?? "unknown CPU"}, ${availableParallelism()} cores, node ${process.versions.node}`);
  console.log(`load (1-minute average): ${loadBefore.toFixed(1)} before → ${loadAfter.toFixed(1)} after; at each kernel start: ${kernels.map((k) => `${k.name} ${samples.get(k.name)!.map((s) => s.load.toFixed(1)).join("/")}`).join(", ")}`);
  for (const kernel of kernels) console.log(`${kernel.name}: ${kernel.version} — ${kernel.installedBy}`);
  for (const problem of problems) console.log(`${problem.name}: NOT MEASURED — could not be installed: ${problem.reason}`);
  for (const failure of failures) console.log(`failed kernel start (left out of the table): ${failure}`);
  console.log(`${REPEATS} kernel starts each (alternating; ${kernels.map((k) => `${k.name} ${samples.get(k.name)!.length} measured`).join(", ")}), ${ROUNDS} rounds per measure; ms; median over all starts [lowest–highest per-start median]`);

  const names = kernels.map((kernel) => kernel.name);
  const others = names.filter((name) => name !== "labnote");
  const hasLabnote = names.includes("labnote");
  const header = ["measure (ms)".padEnd(48), ...names.map((name) => name.padStart(28)), ...(hasLabnote ? others.map((name) => `labnote/${name}`.padStart(18)) : [])];
  console.log(header.join(""));
  const summary: Record<string, Record<string, number>> = {};
  for (const row of ROWS) {
    const cells = [row.label.padEnd(48)];
    const overall = new Map<string, number>();
    for (const name of names) {
      const runs = samples.get(name)!;
      const value = row.overall(runs);
      overall.set(name, value);
      const perStart = runs.map(row.perStart).filter(Number.isFinite);
      const spread = perStart.length > 1 ? ` [${format(Math.min(...perStart))}–${format(Math.max(...perStart))}]` : "";
      cells.push(`${format(value)}${spread}`.padStart(28));
      (summary[name] ??= {})[row.label] = value;
    }
    if (hasLabnote) {
      for (const name of others) {
        // A kernel with no start measured (tslab now and then loses an idle) has no ratio.
        const ratio = overall.get("labnote")! / overall.get(name)!;
        cells.push((Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : "—").padStart(18));
      }
    }
    console.log(cells.join(""));
  }
  const measured = (name: string): boolean => samples.get(name)!.length > 0;
  const typeChecked = names.filter(measured).map((name) => `${name} ${samples.get(name)!.every((s) => s.type_error_caught) ? "yes" : samples.get(name)!.some((s) => s.type_error_caught) ? "sometimes" : "no"}`);
  console.log(`\`const wrongly_typed: string = 1;\` answered with an error reply: ${typeChecked.join(", ")}`);
  const nodeTypes = names.filter(measured).map((name) => `${name} ${samples.get(name)!.every((s) => s.node_types_known) ? "yes" : "no"}`);
  console.log(`\`const v: string = process.version; console.log(v.length > 0)\` runs (Node's types known): ${nodeTypes.join(", ")}`);
  for (const name of names) {
    const missed = samples.get(name)!.reduce((sum, run) => sum + (run.unanswered ?? 0), 0);
    if (missed > 0) console.log(`note: ${name} never answered ${missed} completion request(s); its new-text completion measure stopped there`);
  }
  console.log(JSON.stringify({ machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), loadBefore, loadAfter }, kernels, problems, failures, summary }));
}

main();
