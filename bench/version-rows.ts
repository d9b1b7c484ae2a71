// The row-diff section of `npm run bench:version` (alone: LABNOTE_BENCH_VERSION_ONLY=rows npm run bench:version):
// two CSV files of LABNOTE_BENCH_ROWS rows (default 1,000,000, ~100 MB each) that differ by removed, added and
// changed rows, diffed by key and by content in a fresh process each time (so its peak RSS is the diff's own), printed
// beside `git diff --no-index --stat` of the same files (the anchor a user has today), each repeated for the spread.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { writeTablePair } from "./row-diff-data.js";

const ROWS = Number(process.env.LABNOTE_BENCH_ROWS ?? 1_000_000);
const REPEATS = Number(process.env.LABNOTE_BENCH_ROWS_REPEATS ?? 3);

interface ChildResult {
  seconds: number;
  /** CPU time of the diff, all threads (user + system): the work, whatever else loads the machine. */
  cpuSeconds: number;
  maxRssMB: number;
  rows: { added: number; removed: number; changed: number; unchanged: number };
  compiled: boolean;
}

// The diff runs as the kernel runs it: the compiled dist/ (npm run build), in a fresh process so its peak RSS is the
// diff's own; without dist/ it runs the TypeScript through tsx. A file, not -e: worker threads inherit the flags.
function childScript(dir: string): { command: string[]; file: string } {
  const dist = new URL("../dist/magics/version/row-diff.js", import.meta.url);
  const source = existsSync(dist) ? dist.href : new URL("../magics/version/row-diff.ts", import.meta.url).href;
  const file = join(dir, existsSync(dist) ? "child.mjs" : "child.mts");
  writeFileSync(
    file,
    `import { diffDataRows } from ${JSON.stringify(source)};
const [before, after, key] = process.argv.slice(-3);
const start = performance.now();
const cpuBefore = process.cpuUsage();
const diff = await diffDataRows(before, after, { key: key === "-" ? undefined : key });
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuBefore);
console.log(JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMB: process.resourceUsage().maxRSS / 1024, rows: diff.rows, compiled: ${existsSync(dist)} }));
`,
  );
  return { command: existsSync(dist) ? [file] : ["--import", "tsx", file], file };
}

function runChild(child: { command: string[] }, before: string, after: string, key: string | undefined): ChildResult {
  const run = spawnSync(process.execPath, [...child.command, before, after, key ?? "-"], { encoding: "utf8", cwd: new URL("..", import.meta.url).pathname });
  if (run.status !== 0) throw new Error(`row diff child failed: ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").at(-1)!) as ChildResult;
}

const spread = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return `median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} (min ${sorted[0]!.toFixed(2)}, max ${sorted.at(-1)!.toFixed(2)}; runs ${values.map((value) => value.toFixed(2)).join(", ")})`;
};

export async function rowDiffBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "labnote-bench-rows-"));
  try {
    const before = join(dir, "before.csv");
    const after = join(dir, "after.csv");
    const changes = writeTablePair(before, after, ROWS);
    const sizeMB = (statSync(before).size / 1e6).toFixed(0);
    console.log(`row diff — ${ROWS} rows, ${sizeMB} MB and ${(statSync(after).size / 1e6).toFixed(0)} MB CSV (${changes.removed} removed, ${changes.added} added, ${changes.changed} changed); ${cpus()[0]?.model ?? "unknown CPU"}, ${cpus().length} cores, load average ${loadavg().map((load) => load.toFixed(1)).join(" ")}`);
    execFileSync("cat", [before, after], { stdio: "ignore", maxBuffer: 1 << 30 }); // both sides from the page cache
    const gitSeconds: number[] = [];
    let gitStat = "";
    for (let run = 0; run < REPEATS; run++) {
      const start = performance.now();
      const git = spawnSync("git", ["diff", "--no-index", "--stat", before, after], { encoding: "utf8", maxBuffer: 1 << 26 });
      gitSeconds.push((performance.now() - start) / 1000);
      gitStat = git.stdout.trim().split("\n").at(-1) ?? "";
    }
    console.log(`anchor  git diff --no-index --stat: ${spread(gitSeconds)} s — it says only "${gitStat.trim()}"`);
    const child = childScript(dir);
    for (const key of ["id", undefined]) {
      const results: ChildResult[] = [];
      for (let run = 0; run < REPEATS; run++) results.push(runChild(child, before, after, key));
      const rows = results[0]!.rows;
      const expected = key ? { added: changes.added, removed: changes.removed, changed: changes.changed } : { added: changes.added + changes.changed, removed: changes.removed + changes.changed, changed: 0 };
      if (rows.added !== expected.added || rows.removed !== expected.removed || rows.changed !== expected.changed) throw new Error(`row diff found ${JSON.stringify(rows)}, expected ${JSON.stringify(expected)}`);
      console.log(`labnote diffDataRows (${results[0]!.compiled ? "dist/" : "tsx"}) ${key ? `--key ${key}` : "by content"}: ${spread(results.map((result) => result.seconds))} s wall, ${spread(results.map((result) => result.cpuSeconds))} s CPU (all threads); peak RSS ${spread(results.map((result) => result.maxRssMB))} MB (whole process); found +${rows.added} -${rows.removed} ~${rows.changed}`);
    }
    console.log(`load average now ${loadavg().map((load) => load.toFixed(1)).join(" ")}`);
  } finally {
    execFileSync("rm", ["-rf", dir]);
  }
}
