// Runs whose owning process is gone. A run records the host and pid of the process that logs it; a run still
// "running" whose process no longer exists on this host was left by a kernel that died (kill -9, V8 out of memory)
// and is marked "crashed" at once, its points kept, instead of after the heartbeat timeout. Runs of other hosts are
// left to the heartbeat timeout (markStaleRuns): their processes cannot be seen from here. This assumes host names
// are unique among the machines that share one store.
import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import type { Store } from "./types.js";

/** What this machine can say about its own processes. */
export interface ProcessProbe {
  readonly host: string;
  /** Whether the process `pid` is alive here and is the one that was running at `runStartedAt` (not a reused pid). */
  isRunning(pid: number, runStartedAt: number): boolean;
}

/** A process that started this long after its run did cannot own it: its pid was reused. */
const PID_REUSE_SLACK_MS = 30_000;
/** Linux's USER_HZ: the unit of start times in /proc/<pid>/stat on every mainstream architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

interface ProcStat {
  state: string;
  startTicks: number;
}

function readProcStat(pid: number): ProcStat | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) is in parentheses and may hold spaces: the fields after the last ")" are fixed.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0]!, startTicks: Number(fields[19]) };
  } catch {
    return undefined;
  }
}

let bootTimeMs: number | undefined;

function readBootTimeMs(): number | undefined {
  if (bootTimeMs !== undefined) return bootTimeMs;
  try {
    const line = /^btime (\d+)$/m.exec(readFileSync("/proc/stat", "utf8"));
    bootTimeMs = line ? Number(line[1]) * 1000 : undefined;
  } catch {
    bootTimeMs = undefined;
  }
  return bootTimeMs;
}

/** The probe of this machine: kill(pid, 0), and on Linux /proc to tell zombies and reused pids from the owner. */
export function localProcessProbe(): ProcessProbe {
  return {
    host: hostname(),
    isRunning(pid, runStartedAt) {
      if (pid === process.pid) return true;
      try {
        process.kill(pid, 0);
      } catch (error) {
        // EPERM: the process exists but belongs to another user.
        return (error as NodeJS.ErrnoException).code === "EPERM";
      }
      if (process.platform !== "linux") return true;
      const stat = readProcStat(pid);
      if (!stat) return true;
      // A killed process its parent has not reaped yet is a zombie: it runs no code.
      if (stat.state === "Z" || stat.state === "X") return false;
      const boot = readBootTimeMs();
      if (boot === undefined || !Number.isFinite(stat.startTicks)) return true;
      const processStartedAt = boot + (stat.startTicks / CLOCK_TICKS_PER_SECOND) * 1000;
      return processStartedAt <= runStartedAt + PID_REUSE_SLACK_MS;
    },
  };
}

/** Marks "crashed" every running run of this host whose process is gone; returns their ids. Points logged stay. */
export async function markRunsOfDeadProcesses(store: Store, probe: ProcessProbe = localProcessProbe()): Promise<string[]> {
  const running = await store.findRuns({ status: ["running"] });
  const orphans = running.filter((run) => run.host === probe.host && run.pid !== null && !probe.isRunning(run.pid, run.startedAt));
  for (const run of orphans) await store.updateRun(run.id, { status: "crashed", endedAt: Math.max(run.heartbeatAt, run.startedAt) });
  return orphans.map((run) => run.id);
}
