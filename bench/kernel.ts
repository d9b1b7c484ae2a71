// npm run bench:kernel — labnote vs tslab through jupyter_client, in one run on this machine:
// start-up to the first kernel_info_reply, execute round trip of `1 + 1` (p50/p95), declaration cells
// (`const x${i} = ${i}`, p50/p95), completion round trip of the same request and of new text each round (p50).
// Prints a table and the labnote/tslab ratios.
// Kernelspecs are written into a temporary JUPYTER_PATH so the user's Jupyter set-up is never touched.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const PYTHON = "/usr/bin/python3";
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 4);

interface Sample {
  kernel: string;
  startup: number;
  first_execute: number;
  execute: number[];
  execute_fresh: number[];
  declare: number[];
  complete: number[];
  complete_fresh: number[];
  /** Completion requests the kernel never answered (the measure stops at the first). */
  unanswered: number;
}

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function median(values: number[]): number {
  return quantile(values, 0.5);
}

function writeKernelspec(jupyterPath: string, name: string, argv: string[]): void {
  const directory = join(jupyterPath, "kernels", name);
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "kernel.json"), JSON.stringify({ argv, display_name: name, language: "typescript", interrupt_mode: "signal" }));
}

function main(): void {
  const scratch = mkdtempSync(join(tmpdir(), "labnote-bench-"));
  // The machine is shared: the load around the run says how far to trust small ratios.
  const loadBefore = loadavg()[0]!;
  const jupyterPath = join(scratch, "jupyter");
  writeKernelspec(jupyterPath, "bench-labnote", [process.execPath, join(REPO, "bin", "labnote.js"), "kernel", "-f", "{connection_file}"]);
  writeKernelspec(jupyterPath, "bench-tslab", [process.execPath, join(REPO, "node_modules", "tslab", "bin", "tslab"), "kernel", "--config-path", "{connection_file}"]);
  const samples: Record<string, Sample[]> = { "bench-labnote": [], "bench-tslab": [] };
  // Alternate the kernels so that background load on the shared machine hits both alike.
  for (let repeat = 0; repeat < REPEATS; repeat++) {
    for (const kernel of Object.keys(samples)) {
      const project = mkdtempSync(join(scratch, "project-"));
      const stdout = execFileSync(PYTHON, [join(REPO, "test", "clients", "py", "bench_kernel.py"), kernel, project, String(ROUNDS)], {
        cwd: project,
        env: { ...process.env, JUPYTER_PATH: jupyterPath, JUPYTER_PLATFORM_DIRS: "1" },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 16 * 1024 * 1024,
      });
      samples[kernel]!.push(JSON.parse(stdout.trim().split("\n").at(-1)!) as Sample);
    }
  }
  const summary = (kernel: string) => {
    const runs = samples[kernel]!;
    const all = (key: "execute" | "execute_fresh" | "declare" | "complete" | "complete_fresh") => runs.flatMap((run) => run[key]);
    return {
      startup: median(runs.map((run) => run.startup)),
      firstExecute: median(runs.map((run) => run.first_execute)),
      firstResult: median(runs.map((run) => run.startup + run.first_execute)),
      executeP50: median(all("execute")),
      executeP95: quantile(all("execute"), 0.95),
      executeFreshP50: median(all("execute_fresh")),
      declareP50: median(all("declare")),
      declareP95: quantile(all("declare"), 0.95),
      completeP50: median(all("complete")),
      completeFreshP50: median(all("complete_fresh")),
    };
  };
  const labnote = summary("bench-labnote");
  const tslab = summary("bench-tslab");
  const rows: [string, keyof typeof labnote][] = [
    ["start-up to first kernel_info_reply", "startup"],
    ["first execute (engine warm-up)", "firstExecute"],
    ["start-up + first execute", "firstResult"],
    ["execute `1 + 1` p50", "executeP50"],
    ["execute `1 + 1` p95", "executeP95"],
    ["execute `${i} + 1` p50 (new text each)", "executeFreshP50"],
    ["declaration cell p50", "declareP50"],
    ["declaration cell p95", "declareP95"],
    ["completion p50", "completeP50"],
    ["completion p50 (new text each)", "completeFreshP50"],
  ];
  console.log(
    `kernel bench: ${REPEATS} kernel starts each, ${ROUNDS} rounds per measure, node ${process.versions.node}, ` +
      `1-minute load ${loadBefore.toFixed(1)} → ${loadavg()[0]!.toFixed(1)} on ${availableParallelism()} cores`,
  );
  console.log(`${"measure (ms)".padEnd(40)}${"labnote".padStart(10)}${"tslab".padStart(10)}${"labnote/tslab".padStart(15)}`);
  for (const [label, key] of rows) {
    console.log(`${label.padEnd(40)}${labnote[key].toFixed(1).padStart(10)}${tslab[key].toFixed(1).padStart(10)}${(labnote[key] / tslab[key]).toFixed(2).padStart(15)}`);
  }
  for (const [kernel, runs] of Object.entries(samples)) {
    const missed = runs.reduce((sum, run) => sum + (run.unanswered ?? 0), 0);
    if (missed > 0) console.log(`note: ${kernel.replace("bench-", "")} never answered ${missed} completion request(s); its new-text completion measure stopped there`);
  }
  console.log(JSON.stringify({ labnote, tslab }));
}

main();
