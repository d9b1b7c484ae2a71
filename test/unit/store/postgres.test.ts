import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { describe, expect, it } from "vitest";
import { openStore } from "../../../store/index.js";
import { POSTGRES_SCHEMA_VERSION } from "../../../store/postgres-schema.js";
import { storeContract } from "./contract.js";
import { REPO_ROOT } from "../../helpers/jupyter.js";
import { freshSchemaUrl, usePostgres } from "./pg-cluster.js";

const serverUrl = usePostgres();

storeContract("postgres", async () => {
  const location = await freshSchemaUrl(serverUrl());
  return { store: await openStore("/tmp", { location }), location };
});

describe("PostgreSQL schema", () => {
  it("is created once when eight kernels connect to an empty database at the same moment", async () => {
    const location = await freshSchemaUrl(serverUrl());
    const stores = await Promise.all(Array.from({ length: 8 }, () => openStore("/tmp", { location })));
    const run = await stores[3]!.createRun({ name: "shared" });
    for (const store of stores) expect((await store.getRun(run.id))!.name).toBe("shared");
    await Promise.all(stores.map((store) => store.close()));
    const client = new pg.Client({ connectionString: location });
    await client.connect();
    const versions = await client.query("SELECT version FROM labnote_schema");
    await client.end();
    expect(versions.rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
  });

  it("says how to fix LABNOTE_STORE when the server cannot be reached, without showing the password", async () => {
    await expect(openStore("/tmp", { location: "postgres://me:secret@127.0.0.1:1/nowhere" })).rejects.toThrow(
      /Could not open the PostgreSQL store at postgres:\/\/me:\*\*\*@127\.0\.0\.1:1\/nowhere: .*unset LABNOTE_STORE/,
    );
    await expect(openStore("/tmp", { location: "postgres://me:secret@127.0.0.1:1/nowhere" })).rejects.not.toThrow(/secret/);
  });
});

describe("scripts/pg.sh", () => {
  it("starts a cluster that listens only on 127.0.0.1 with trust auth, and stop removes it", async () => {
    const output = execFileSync("bash", [join(REPO_ROOT, "scripts", "pg.sh"), "start"], { encoding: "utf8" });
    const url = /^LABNOTE_TEST_PG=(postgres:\/\/labnote@127\.0\.0\.1:\d+\/labnote)$/m.exec(output)?.[1];
    const dir = /^LABNOTE_TEST_PG_DIR=(\S+)$/m.exec(output)?.[1];
    expect(url).toBeDefined();
    expect(output).toMatch(/^export LABNOTE_TEST_PG LABNOTE_TEST_PG_DIR$/m);
    try {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      const settings = await client.query("SELECT current_setting('listen_addresses') AS listen, current_user AS who");
      await client.end();
      expect(settings.rows[0]).toEqual({ listen: "127.0.0.1", who: "labnote" });
      expect(execFileSync("bash", [join(REPO_ROOT, "scripts", "pg.sh"), "env", dir!], { encoding: "utf8" })).toContain(`LABNOTE_TEST_PG=${url}`);
    } finally {
      execFileSync("bash", [join(REPO_ROOT, "scripts", "pg.sh"), "stop", dir!]);
    }
    expect(existsSync(dir!)).toBe(false);
    const refused = new pg.Client({ connectionString: url });
    await expect(refused.connect()).rejects.toThrow(/ECONNREFUSED/);
  });

  it("refuses to remove a directory that is not one of its clusters", () => {
    const notACluster = mkdtempSync(join(tmpdir(), "labnote-not-pg-"));
    expect(() => execFileSync("bash", [join(REPO_ROOT, "scripts", "pg.sh"), "stop", notACluster], { stdio: "pipe" })).toThrow(/not a labnote test cluster/);
    expect(existsSync(notACluster)).toBe(true);
    rmSync(notACluster, { recursive: true });
  });
});
