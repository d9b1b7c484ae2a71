// Bad input to %version repro --run, before any kernel starts: no such version, data in no cache (with the
// forget reason when there is one), a bad tolerance — each a clear error, and no scratch directory left behind.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { objectPath, writeTombstones } from "../../../magics/version/data-cache.js";
import { checkedTolerance, runReproInSession } from "../../../magics/version/repro/command-run.js";
import { createScratchProject } from "../../../magics/version/repro/scratch.js";
import { VersionSession } from "../../../magics/version/session.js";
import { tempProject } from "./helpers.js";

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((cleanup) => cleanup()));
const scratchDirs = () => readdirSync(tmpdir()).filter((name) => name.startsWith("labnote-repro-")).sort();

describe("%version repro --run, bad input", () => {
  it("a project without versions, or a version that does not exist: an error naming what to do", async () => {
    const project = tempProject();
    cleanups.push(project.cleanup);
    const session = new VersionSession({ projectDir: project.dir, kernelId: "k1" });
    await expect(runReproInSession(session, { spec: "@" })).rejects.toThrow(/there are no versions yet .*%version commit -m/);
    await expect(runReproInSession(session, { spec: "not a version" })).rejects.toThrow(/no versions yet/);
  });

  it("data missing from every cache: one error listing each file and why, and nothing created", async () => {
    const project = tempProject();
    cleanups.push(project.cleanup);
    const cache = join(project.dir, "cache");
    const present = "a".repeat(64);
    mkdirSync(join(cache, "aa"), { recursive: true });
    writeFileSync(objectPath(cache, present), "bytes");
    const forgotten = "b".repeat(64);
    writeTombstones(cache, [{ sha256: forgotten, path: "data/people.csv", reason: "GDPR request 17", removedAt: "2026-11-30T10:00:00.000Z" }]);
    const before = scratchDirs();
    const files = [
      { path: "data/ok.csv", size: 5, sha256: present },
      { path: "data/people.csv", size: 9, sha256: forgotten },
      { path: "data/lost.csv", size: 3, sha256: "c".repeat(64) },
    ];
    const attempt = createScratchProject({ files, caches: [cache, join(project.dir, "nowhere")], projectDir: project.dir });
    await expect(attempt).rejects.toThrow(/missing from every cache/);
    await expect(attempt).rejects.toThrow(/data\/people\.csv: removed on 2026-11-30: GDPR request 17/);
    await expect(attempt).rejects.toThrow(/data\/lost\.csv \(sha256 cccccccccccc…\)/);
    await expect(attempt).rejects.not.toThrow(/data\/ok\.csv/);
    expect(scratchDirs()).toEqual(before);
  });

  it("cached bytes that no longer match the version are refused, and the scratch directory goes", async () => {
    const project = tempProject();
    cleanups.push(project.cleanup);
    const cache = join(project.dir, "cache");
    const claimed = "d".repeat(64);
    mkdirSync(join(cache, "dd"), { recursive: true });
    writeFileSync(objectPath(cache, claimed), "edited in place");
    const before = scratchDirs();
    await expect(createScratchProject({ files: [{ path: "data/x.csv", size: 15, sha256: claimed }], caches: [cache], projectDir: project.dir })).rejects.toThrow(/no longer match the version/);
    expect(scratchDirs()).toEqual(before);
  });

  it("a tolerance must be a number ≥ 0", () => {
    expect(checkedTolerance(undefined)).toBe(1e-6);
    expect(checkedTolerance(0)).toBe(0);
    expect(() => checkedTolerance(-1)).toThrow(/--tolerance must be a number ≥ 0/);
    expect(() => checkedTolerance(Number.NaN)).toThrow(/--tolerance/);
  });
});
