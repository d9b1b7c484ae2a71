// Schema v2 (labnote ui) on a store written by v1: the backfilled series stats and summary blocks equal what the
// append path keeps, and every existing run gets a revision — SQLite and PostgreSQL.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { openPostgresStore } from "../../../store/postgres.js";
import { openSqliteStore } from "../../../store/sqlite.js";
import type { MetricBlock, SeriesStats, Store } from "../../../store/types.js";
import { point } from "./contract.js";
import { freshSchemaUrl, usePostgres } from "./pg-cluster.js";

async function fill(store: Store): Promise<{ series: SeriesStats[]; blocks: MetricBlock[][] }> {
  const first = await store.createRun({ name: "old-a" });
  const second = await store.createRun({ name: "old-b" });
  const values = Array.from({ length: 700 }, (_, step) => (step === 333 ? 99 : step === 5 ? Number.NaN : 1 / (step + 1)));
  await store.appendMetrics(values.slice(0, 300).map((value, step) => point(first.id, "loss", "train", step, value)));
  await store.appendMetrics([...values.slice(300).map((value, step) => point(first.id, "loss", "train", step + 300, value)), point(second.id, "acc", "val", 0, 0.5)]);
  const series = await store.listSeries();
  const blocks = await Promise.all(series.map((stats) => store.getMetricBlocks(stats.runId, stats.key, stats.split)));
  return { series, blocks };
}

const withoutSeq = (series: SeriesStats[]) => series.map(({ seq: _seq, ...rest }) => rest);

describe("schema v2 backfill", () => {
  const directory = mkdtempSync(join(tmpdir(), "labnote-migrate-"));
  afterAll(() => rmSync(directory, { recursive: true, force: true }));

  it("SQLite: a v1 file gains revisions, series stats and blocks equal to the append path's", async () => {
    const file = join(directory, "v1.db");
    const store = await openSqliteStore(file);
    const expected = await fill(store);
    await store.close();
    const db = new Database(file);
    db.exec(`DROP TRIGGER runs_revision_on_insert; DROP TRIGGER runs_revision_on_update; DROP INDEX runs_by_revision;
             ALTER TABLE runs DROP COLUMN revision; DROP TABLE metric_series; DROP TABLE metric_blocks; PRAGMA user_version = 1;`);
    db.close();
    const migrated = await openSqliteStore(file);
    try {
      expect(withoutSeq(await migrated.listSeries())).toEqual(withoutSeq(expected.series));
      for (const [index, stats] of expected.series.entries()) expect(await migrated.getMetricBlocks(stats.runId, stats.key, stats.split)).toEqual(expected.blocks[index]);
      const changes = await migrated.runChanges(0);
      expect(changes.runs.map((run) => run.name).sort()).toEqual(["old-a", "old-b"]);
      await migrated.updateRun(changes.runs[0]!.id, { status: "finished" });
      expect((await migrated.runChanges(changes.revision)).runs.map((run) => run.status)).toEqual(["finished"]);
    } finally {
      await migrated.close();
    }
  });

  const serverUrl = usePostgres();
  it("PostgreSQL: a v1 schema gains revisions, series stats and blocks equal to the append path's", async () => {
    const url = await freshSchemaUrl(serverUrl());
    const store = await openPostgresStore(url);
    const expected = await fill(store);
    await store.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP TRIGGER labnote_runs_revision ON labnote_runs; DROP FUNCTION labnote_bump_run_revision();
                        ALTER TABLE labnote_runs DROP COLUMN revision; DROP SEQUENCE labnote_run_revision;
                        DROP TABLE labnote_metric_series; DROP TABLE labnote_metric_blocks; UPDATE labnote_schema SET version = 1;`);
    await client.end();
    const migrated = await openPostgresStore(url);
    try {
      expect(withoutSeq(await migrated.listSeries())).toEqual(withoutSeq(expected.series));
      for (const [index, stats] of expected.series.entries()) expect(await migrated.getMetricBlocks(stats.runId, stats.key, stats.split)).toEqual(expected.blocks[index]);
      const changes = await migrated.runChanges(0);
      expect(changes.runs.map((run) => run.name).sort()).toEqual(["old-a", "old-b"]);
      await migrated.updateRun(changes.runs[0]!.id, { status: "finished" });
      expect((await migrated.runChanges(changes.revision)).runs.map((run) => run.status)).toEqual(["finished"]);
    } finally {
      await migrated.close();
    }
  });
});
