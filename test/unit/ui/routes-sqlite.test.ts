// The labnote ui API over a SQLite store file.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll } from "vitest";
import { openSqliteStore } from "../../../store/sqlite.js";
import { uiRoutesSuite } from "./routes-suite.js";

const directory = mkdtempSync(join(tmpdir(), "labnote-ui-sqlite-"));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

uiRoutesSuite("SQLite", () => openSqliteStore(join(directory, "labnote.db")));
