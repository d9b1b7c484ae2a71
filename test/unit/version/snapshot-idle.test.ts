// Background snapshots keep out of the user's way: while the kernel keeps answering requests (completions as the
// user types), a finished cell's snapshot waits; once the kernel is quiet it is written.
import type { CellRecord } from "../../../kernel/types.js";
import { describe, expect, it } from "vitest";
import { VersionSession } from "../../../magics/version/session.js";
import { tempProject } from "./helpers.js";

describe("%version background snapshots", () => {
  it("wait while requests keep coming, then run once the kernel is quiet", async () => {
    const temp = tempProject("labnote-idle-");
    try {
      let lastRequestAt = Date.now();
      const session = new VersionSession({ projectDir: temp.dir, kernelId: "idle", lastRequestAt: () => lastRequestAt });
      const hooks = session.hooks();
      const startedAt = new Date();
      hooks.beforeCell!({ code: "1 + 1", executionCount: 1, startedAt });
      const record: CellRecord = { code: "1 + 1", executionCount: 1, startedAt, durationMs: 1, status: "ok", outputs: { streams: 0, displays: 0, errors: 0, mimeTypes: [] } };
      hooks.afterCell!(record);
      // A request every 10 ms for 400 ms: no snapshot meanwhile.
      const busyUntil = Date.now() + 400;
      while (Date.now() < busyUntil) {
        lastRequestAt = Date.now();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      expect(session.snapshotReports).toEqual([]);
      // Quiet now: the snapshot is written without anyone asking for it.
      const deadline = Date.now() + 20_000;
      while (session.snapshotReports.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(session.snapshotReports).toHaveLength(1);
      expect(session.snapshotReports[0]!.commit).toMatch(/^[0-9a-f]{40}$/);
    } finally {
      temp.cleanup();
    }
  }, 30_000);
});
