// %version forget in the SQLite files under .labnote/ (the run store's samples and runs, the kernel's input/output
// history, …): every text column of every table is searched and redacted, then the file is vacuumed and its WAL
// truncated, because SQLite keeps overwritten bytes in free pages and in the write-ahead log until then.
import { containsForgotten, redact, type ForgottenContent } from "./forget-content.js";

export interface SqliteRedaction {
  file: string;
  table: string;
  column: string;
  values: number;
}

function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export async function redactSqliteFile(file: string, content: ForgottenContent, mark: string): Promise<SqliteRedaction[]> {
  const { default: Database } = await import("better-sqlite3");
  const db = new Database(file, { fileMustExist: true });
  const out: SqliteRedaction[] = [];
  try {
    db.pragma("busy_timeout = 10000");
    db.pragma("secure_delete = ON");
    const minLength = Math.min(...content.needles.map((needle) => needle.length));
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[];
    for (const { name: table } of tables) {
      const columns = db.prepare(`PRAGMA table_info(${quoteIdentifier(table)})`).all() as { name: string; type: string }[];
      for (const { name: column } of columns) {
        const select = db.prepare(`SELECT DISTINCT ${quoteIdentifier(column)} AS value FROM ${quoteIdentifier(table)} WHERE typeof(${quoteIdentifier(column)}) = 'text' AND length(${quoteIdentifier(column)}) >= ?`);
        const update = db.prepare(`UPDATE ${quoteIdentifier(table)} SET ${quoteIdentifier(column)} = ? WHERE ${quoteIdentifier(column)} = ?`);
        const changes: [string, string][] = [];
        for (const row of select.iterate(minLength) as Iterable<{ value: string }>) {
          if (containsForgotten(content, row.value)) changes.push([redact(content, row.value, mark), row.value]);
        }
        if (changes.length === 0) continue;
        db.transaction(() => {
          for (const [next, previous] of changes) update.run(next, previous);
        })();
        out.push({ file, table, column, values: changes.length });
      }
    }
    if (out.length > 0) {
      // Old row versions live on in free pages and in the WAL: rebuild the file and empty the log.
      db.exec("VACUUM");
    }
    db.pragma("wal_checkpoint(TRUNCATE)");
  } finally {
    db.close();
  }
  return out;
}

/** True when the file starts with SQLite's header. */
export function isSqliteHeader(bytes: Buffer): boolean {
  return bytes.subarray(0, 16).toString("latin1") === "SQLite format 3\0";
}

// The PostgreSQL store's tables and columns that hold what users log (samples, run records, artifact names); the
// metrics tables hold only numbers and short keys.
const POSTGRES_TEXT_COLUMNS: Record<string, string[]> = {
  labnote_samples: ["input", "pred", "label", "extra"],
  labnote_runs: ["params", "summary", "code", "notebook", "name"],
  labnote_artifacts: ["name", "location"],
};

/** Redacts the forgotten text in a PostgreSQL store (LABNOTE_STORE=postgres://…). */
export async function redactPostgresStore(url: string, content: ForgottenContent, mark: string): Promise<SqliteRedaction[]> {
  const { default: pg } = await import("pg");
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const out: SqliteRedaction[] = [];
  const where = url.replace(/\/\/[^@/]*@/, "//");
  try {
    const minLength = Math.min(...content.needles.map((needle) => needle.length));
    for (const [table, columns] of Object.entries(POSTGRES_TEXT_COLUMNS)) {
      const exists = await client.query("SELECT 1 FROM information_schema.tables WHERE table_name = $1 AND table_schema = current_schema()", [table]);
      if (exists.rowCount === 0) continue;
      for (const column of columns) {
        const rows = await client.query<{ value: string }>(`SELECT DISTINCT ${quoteIdentifier(column)} AS value FROM ${quoteIdentifier(table)} WHERE length(${quoteIdentifier(column)}) >= $1`, [minLength]);
        const changes = rows.rows.filter((row) => containsForgotten(content, row.value)).map((row) => [redact(content, row.value, mark), row.value] as const);
        if (changes.length === 0) continue;
        await client.query("BEGIN");
        for (const [next, previous] of changes) await client.query(`UPDATE ${quoteIdentifier(table)} SET ${quoteIdentifier(column)} = $1 WHERE ${quoteIdentifier(column)} = $2`, [next, previous]);
        await client.query("COMMIT");
        out.push({ file: `postgres ${where}`, table, column, values: changes.length });
      }
    }
  } finally {
    await client.end();
  }
  return out;
}
