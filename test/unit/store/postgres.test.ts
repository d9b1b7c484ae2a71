import pg from "pg";
import { describe, expect, it } from "vitest";
import { openStore } from "../../../store/index.js";
import { POSTGRES_SCHEMA_VERSION } from "../../../store/postgres-schema.js";
import { storeContract } from "./contract.js";
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
