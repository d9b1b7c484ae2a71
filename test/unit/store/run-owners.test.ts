// Runs whose process died on this host are marked crashed at once; others are left to the heartbeat timeout.
import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { localProcessProbe, markRunsOfDeadProcesses, type ProcessProbe } from "../../../store/run-owners.js";

describe("markRunsOfDeadProcesses", () => {
  it("marks running runs of this host whose process is gone as crashed, keeping their points", async () => {
    const store = createMemoryStore();
    const probe: ProcessProbe = { host: "here", isRunning: (pid) => pid === 200 };
    const dead = await store.createRun({ name: "dead", host: "here", pid: 100, startedAt: 1000, heartbeatAt: 5000 });
    const alive = await store.createRun({ name: "alive", host: "here", pid: 200 });
    const elsewhere = await store.createRun({ name: "elsewhere", host: "there", pid: 100 });
    const noPid = await store.createRun({ name: "no pid", host: "here" });
    const finished = await store.createRun({ name: "finished", host: "here", pid: 100, status: "finished" });
    await store.appendMetrics([0, 1, 2].map((step) => ({ runId: dead.id, key: "loss", split: "train", step, value: 1 / (step + 1), time: 1000 + step })));

    expect(await markRunsOfDeadProcesses(store, probe)).toEqual([dead.id]);
    const statusOf = async (id: string) => (await store.getRun(id))?.status;
    expect(await statusOf(dead.id)).toBe("crashed");
    expect((await store.getRun(dead.id))?.endedAt).toBe(5000);
    expect(await statusOf(alive.id)).toBe("running");
    expect(await statusOf(elsewhere.id)).toBe("running");
    expect(await statusOf(noPid.id)).toBe("running");
    expect(await statusOf(finished.id)).toBe("finished");
    expect(await store.getMetrics(dead.id, { key: "loss" })).toHaveLength(3);
    expect(await markRunsOfDeadProcesses(store, probe)).toEqual([]);
  });
});

describe("localProcessProbe", () => {
  const probe = localProcessProbe();

  it("sees this process and its parent alive", () => {
    expect(probe.isRunning(process.pid, Date.now())).toBe(true);
    expect(probe.isRunning(process.ppid, Date.now())).toBe(true);
  });

  it("sees a killed process gone", async () => {
    const child = spawn(process.execPath, ["-e", "setTimeout(() => {}, 60000)"], { stdio: "ignore" });
    const startedAt = Date.now();
    await new Promise((resolve) => child.once("spawn", resolve));
    expect(probe.isRunning(child.pid!, startedAt)).toBe(true);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(probe.isRunning(child.pid!, startedAt)).toBe(false);
  });

  it.runIf(process.platform === "linux")("treats a process that started long after the run as a reused pid", () => {
    // The parent of this test started after 1970: it cannot own a run that started then.
    expect(probe.isRunning(process.ppid, 0)).toBe(false);
  });
});
