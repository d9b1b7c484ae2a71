// %seed replaces Math.random with a seeded stream; run ids and artifact folders must not repeat because of it.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createMemoryStore } from "../../../store/index.js";
import { track } from "../../../magics/track/index.js";

const platformRandom = Math.random;
afterEach(() => void (Math.random = platformRandom));

describe("tracking under a seeded Math.random", () => {
  it("gives every run its own id and artifact folder even when Math.random repeats", async () => {
    const projectDir = mkdtempSync(join(tmpdir(), "labnote-seeded-"));
    writeFileSync(join(projectDir, "model.json"), "{}");
    Math.random = () => 0.5; // what a seeded stream restarted with the same seed looks like to naming code
    const runs = Array.from({ length: 20 }, () => track.start({ store: createMemoryStore(), projectDir, captureEnvironment: false, systemIntervalMs: 0, warn: () => undefined }));
    expect(new Set(runs.map((run) => run.id)).size).toBe(20);
    const artifacts = await Promise.all(runs.slice(0, 2).map((run) => run.artifact("model.json")));
    expect(artifacts[0]!.location).not.toBe(artifacts[1]!.location);
    await Promise.all(runs.map((run) => run.end()));
  });
});
