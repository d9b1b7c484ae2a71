// The PostgreSQL schema (tables prefixed labnote_ so a shared database stays tidy), versioned in labnote_schema.
// Creation runs under an advisory lock, so kernels connecting to a fresh database at once do not race.
import type pg from "pg";
import { METRIC_BLOCK_POINTS } from "./metric-blocks.js";

const MIGRATIONS: string[] = [
  // version 1
  `
  CREATE TABLE labnote_runs (
    id text PRIMARY KEY,
    name text NOT NULL,
    status text NOT NULL,
    params text NOT NULL,
    tags text NOT NULL,
    summary text NOT NULL,
    env text NOT NULL,
    seed double precision,
    code text,
    notebook text,
    data_hashes text NOT NULL,
    version_id text,
    study_name text,
    trial_number integer,
    kernel_id text,
    host text,
    pid integer,
    started_at double precision NOT NULL,
    ended_at double precision,
    heartbeat_at double precision NOT NULL
  );
  CREATE INDEX labnote_runs_by_name ON labnote_runs (name);
  CREATE INDEX labnote_runs_by_prefix ON labnote_runs (id text_pattern_ops);
  CREATE INDEX labnote_runs_by_study ON labnote_runs (study_name, trial_number);
  CREATE INDEX labnote_runs_by_start ON labnote_runs (started_at, id);
  CREATE INDEX labnote_runs_by_status ON labnote_runs (status, heartbeat_at);

  CREATE TABLE labnote_metrics (
    seq bigserial PRIMARY KEY,
    run_id text NOT NULL,
    key text NOT NULL,
    split text NOT NULL,
    step double precision NOT NULL,
    value double precision NOT NULL,
    wall_time double precision NOT NULL
  );
  -- (run_id, seq): a run's points in append order without a sort; key/split filters scan only that run.
  CREATE INDEX labnote_metrics_by_run ON labnote_metrics (run_id, seq);

  CREATE TABLE labnote_samples (
    run_id text NOT NULL,
    idx integer NOT NULL,
    input text NOT NULL,
    pred text NOT NULL,
    label text NOT NULL,
    extra text,
    PRIMARY KEY (run_id, idx)
  );

  CREATE TABLE labnote_artifacts (
    seq bigserial PRIMARY KEY,
    run_id text NOT NULL,
    name text NOT NULL,
    location text NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    created_at double precision NOT NULL,
    UNIQUE (run_id, name)
  );

  CREATE TABLE labnote_studies (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    direction text NOT NULL,
    config text NOT NULL,
    created_at double precision NOT NULL,
    next_trial_number integer NOT NULL DEFAULT 0
  );

  CREATE TABLE labnote_trials (
    id text PRIMARY KEY,
    study_id text NOT NULL,
    number integer NOT NULL,
    state text NOT NULL,
    params text NOT NULL,
    distributions text NOT NULL,
    value double precision,
    run_id text,
    error text,
    kernel_id text,
    started_at double precision NOT NULL,
    ended_at double precision,
    heartbeat_at double precision NOT NULL,
    UNIQUE (study_id, number)
  );
  CREATE INDEX labnote_trials_by_state ON labnote_trials (study_id, state, heartbeat_at);

  CREATE TABLE labnote_trial_intermediate (
    trial_id text NOT NULL,
    step double precision NOT NULL,
    value double precision NOT NULL,
    PRIMARY KEY (trial_id, step)
  );
  `,
  // version 2 (labnote ui): a revision per run change, series stats and summary blocks kept at append time
  `
  CREATE SEQUENCE labnote_run_revision;
  ALTER TABLE labnote_runs ADD COLUMN revision bigint NOT NULL DEFAULT nextval('labnote_run_revision');
  CREATE INDEX labnote_runs_by_revision ON labnote_runs (revision);
  -- Every change moves the run to a new revision; readers fetch only what changed since theirs.
  CREATE FUNCTION labnote_bump_run_revision() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN NEW.revision := nextval('labnote_run_revision'); RETURN NEW; END $$;
  CREATE TRIGGER labnote_runs_revision BEFORE UPDATE ON labnote_runs FOR EACH ROW EXECUTE FUNCTION labnote_bump_run_revision();

  CREATE TABLE labnote_metric_series (
    run_id text NOT NULL,
    key text NOT NULL,
    split text NOT NULL,
    count bigint NOT NULL,
    min double precision,
    max double precision,
    last double precision NOT NULL,
    first_step double precision NOT NULL,
    last_step double precision NOT NULL,
    seq bigint NOT NULL,
    PRIMARY KEY (run_id, key, split)
  );
  CREATE INDEX labnote_metric_series_by_seq ON labnote_metric_series (seq);

  CREATE TABLE labnote_metric_blocks (
    run_id text NOT NULL,
    key text NOT NULL,
    split text NOT NULL,
    block bigint NOT NULL,
    x0 double precision NOT NULL,
    x1 double precision NOT NULL,
    min double precision,
    max double precision,
    last double precision NOT NULL,
    t double precision NOT NULL,
    count integer NOT NULL,
    PRIMARY KEY (run_id, key, split, block)
  );

  -- Points written before version 2.
  INSERT INTO labnote_metric_series (run_id, key, split, count, min, max, last, first_step, last_step, seq)
    SELECT run_id, key, split, count(*), min(value) FILTER (WHERE value <> 'NaN'), max(value) FILTER (WHERE value <> 'NaN'),
           (array_agg(value ORDER BY seq DESC))[1], (array_agg(step ORDER BY seq))[1], (array_agg(step ORDER BY seq DESC))[1], max(seq)
    FROM labnote_metrics GROUP BY run_id, key, split;
  INSERT INTO labnote_metric_blocks (run_id, key, split, block, x0, x1, min, max, last, t, count)
    SELECT run_id, key, split, block, min(step), max(step), min(value) FILTER (WHERE value <> 'NaN'), max(value) FILTER (WHERE value <> 'NaN'),
           (array_agg(value ORDER BY seq DESC))[1], (array_agg(wall_time ORDER BY seq DESC))[1], count(*)
    FROM (SELECT *, (row_number() OVER (PARTITION BY run_id, key, split ORDER BY seq) - 1) / ${METRIC_BLOCK_POINTS} AS block FROM labnote_metrics) numbered
    GROUP BY run_id, key, split, block;
  `,
];

export const POSTGRES_SCHEMA_VERSION = MIGRATIONS.length;
// Any constant works; it only has to be the same in every labnote process.
const SCHEMA_LOCK_KEY = 0x6c61626e; // "labn"

export async function migratePostgres(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK_KEY]);
    await client.query("CREATE TABLE IF NOT EXISTS labnote_schema (version integer NOT NULL)");
    const found = await client.query<{ version: number }>("SELECT version FROM labnote_schema");
    let current = found.rows[0]?.version ?? 0;
    if (found.rows.length === 0) await client.query("INSERT INTO labnote_schema (version) VALUES (0)");
    if (current > POSTGRES_SCHEMA_VERSION) {
      throw new Error(
        `This labnote database was written by a newer labnote (schema ${current}, this one knows ${POSTGRES_SCHEMA_VERSION}): upgrade labnote.`,
      );
    }
    for (; current < POSTGRES_SCHEMA_VERSION; current++) await client.query(MIGRATIONS[current]!);
    await client.query("UPDATE labnote_schema SET version = $1", [POSTGRES_SCHEMA_VERSION]);
    await client.query("COMMIT");
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}
