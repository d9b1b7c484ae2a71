// The PostgreSQL schema (tables prefixed labnote_ so a shared database stays tidy), versioned in labnote_schema.
// Creation runs under an advisory lock, so kernels connecting to a fresh database at once do not race.
import type pg from "pg";

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
