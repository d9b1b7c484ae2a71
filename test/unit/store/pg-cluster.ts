// PostgreSQL for the store tests: LABNOTE_TEST_PG when set (npm test starts one cluster for the whole suite),
// else a throwaway cluster started with scripts/pg.sh for this file and removed after it. Never skipped.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { afterAll, beforeAll } from "vitest";
import { REPO_ROOT } from "../../helpers/jupyter.js";

const PG_SCRIPT = join(REPO_ROOT, "scripts", "pg.sh");

/** Registers beforeAll/afterAll hooks; the returned function gives the server URL inside tests. */
export function usePostgres(): () => string {
  let url = process.env.LABNOTE_TEST_PG ?? "";
  let clusterDir: string | undefined;
  beforeAll(() => {
    if (url) return;
    const output = execFileSync("bash", [PG_SCRIPT, "start"], { encoding: "utf8" });
    url = /^LABNOTE_TEST_PG=(\S+)$/m.exec(output)?.[1] ?? "";
    clusterDir = /^LABNOTE_TEST_PG_DIR=(\S+)$/m.exec(output)?.[1];
    if (!url) throw new Error(`scripts/pg.sh start printed no LABNOTE_TEST_PG line:\n${output}`);
  });
  afterAll(() => {
    if (clusterDir) execFileSync("bash", [PG_SCRIPT, "stop", clusterDir]);
  });
  return () => url;
}

/** A URL whose connections live in a new, empty schema: each test gets a database of its own, cheaply. */
export async function freshSchemaUrl(serverUrl: string): Promise<string> {
  const schema = `labnote_test_${randomBytes(6).toString("hex")}`;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`CREATE SCHEMA ${schema}`);
  } finally {
    await client.end();
  }
  const url = new URL(serverUrl);
  url.searchParams.set("options", `-c search_path=${schema}`);
  return url.toString();
}
