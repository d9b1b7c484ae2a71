// The labnote ui API over PostgreSQL (LABNOTE_TEST_PG, else a throwaway cluster), each run in a fresh schema.
import { openPostgresStore } from "../../../store/postgres.js";
import { freshSchemaUrl, usePostgres } from "../store/pg-cluster.js";
import { uiRoutesSuite } from "./routes-suite.js";

const serverUrl = usePostgres();

uiRoutesSuite("PostgreSQL", async () => openPostgresStore(await freshSchemaUrl(serverUrl())));
