// The environment a run records: the user's git HEAD and whether tracked files differ from it.
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { captureEnvironment } from "../../../magics/track/environment.js";

describe("captureEnvironment", () => {
  it("records the repository's HEAD, clean then dirty, and no git state outside a repository", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labnote-env-"));
    expect((await captureEnvironment(dir)).git).toBeNull();
    const git = (...args: string[]) => execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@t", ...args], { cwd: dir, encoding: "utf8" }).trim();
    git("init", "-q");
    writeFileSync(join(dir, "train.ts"), "export const lr = 0.1;\n");
    expect((await captureEnvironment(dir)).git).toBeNull(); // no commit yet: no HEAD to record
    git("add", "train.ts");
    git("commit", "-q", "-m", "first");
    const head = git("rev-parse", "HEAD");
    expect((await captureEnvironment(dir)).git).toEqual({ head, dirty: false });
    writeFileSync(join(dir, "notes.txt"), "untracked files do not make it dirty\n");
    expect((await captureEnvironment(dir)).git).toEqual({ head, dirty: false });
    writeFileSync(join(dir, "train.ts"), "export const lr = 0.01;\n");
    expect((await captureEnvironment(dir)).git).toEqual({ head, dirty: true });
  });

  it("records the lockfile's hash, and a new one as soon as the lockfile changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "labnote-env-lock-"));
    const sha = (text: string) => `package-lock.json:sha256:${createHash("sha256").update(text).digest("hex")}`;
    writeFileSync(join(dir, "package-lock.json"), '{"lockfileVersion":3}');
    expect((await captureEnvironment(dir)).lockfile).toBe(sha('{"lockfileVersion":3}'));
    expect((await captureEnvironment(dir)).lockfile).toBe(sha('{"lockfileVersion":3}'));
    writeFileSync(join(dir, "package-lock.json"), '{"lockfileVersion":3,"packages":{}}');
    expect((await captureEnvironment(dir)).lockfile).toBe(sha('{"lockfileVersion":3,"packages":{}}'));
  });
});
