// Provenance on read: what a dataset hashed while streaming is the %version session's hash for the file, and the
// cell snapshot's manifest takes it from the state cache instead of reading the file a second time.
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dataset, switchBackend } from "../../../training/index.js";
import { VersionSession, setSession } from "../../../magics/version/session.js";
import { hashData } from "../../../magics/version/data.js";

beforeAll(async () => {
  await switchBackend("cpu");
});
afterAll(() => setSession(undefined));

describe("dataset provenance", () => {
  it("records each fully read file in the session; the snapshot manifest hashes nothing again", async () => {
    const projectDir = mkdtempSync(join(tmpdir(), "labnote-provenance-"));
    mkdirSync(join(projectDir, "data"));
    const files = ["a.csv", "b.csv"].map((name, index) => {
      const text = `x,y\n${Array.from({ length: 300 }, (_, i) => `${i + index},${i % 2}`).join("\n")}\n`;
      writeFileSync(join(projectDir, "data", name), text);
      return { path: `data/${name}`, sha256: createHash("sha256").update(text).digest("hex") };
    });
    const session = new VersionSession({ projectDir, kernelId: "test" });
    setSession(session);
    const ds = dataset("data/*.csv", { label: "y", batchSize: 64, cwd: projectDir, workers: 1 });
    for await (const batch of ds) batch.x.dispose(), batch.y.dispose();
    expect(Object.fromEntries(session.dataHashes)).toEqual(Object.fromEntries(files.map((file) => [file.path, file.sha256])));
    const manifest = await hashData(projectDir, files.map((file) => file.path), { stateCache: session.states(), cacheMode: "none" });
    expect(manifest.hashedFiles).toBe(0);
    expect(manifest.files.map((file) => [file.path, file.sha256])).toEqual(files.map((file) => [file.path, file.sha256]));
  });
});
