// Input/output history persisted in SQLite at <projectDir>/.labnote/history.sqlite, with IPython's schema
// (sessions, history, output_history), so tail/range/search survive kernel restarts. better-sqlite3 is loaded lazily:
// start-up never pays for it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type BetterSqlite3 from "better-sqlite3";
import type { HistoryEntry, HistoryRequestContent } from "./protocol/messages.js";

type Database = BetterSqlite3.Database;

interface Row {
  session: number;
  line: number;
  source: string;
  output: string | null;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS sessions (session INTEGER PRIMARY KEY AUTOINCREMENT, start TIMESTAMP, end TIMESTAMP, num_cmds INTEGER, remark TEXT);
CREATE TABLE IF NOT EXISTS history (session INTEGER, line INTEGER, source TEXT, source_raw TEXT, PRIMARY KEY (session, line));
CREATE TABLE IF NOT EXISTS output_history (session INTEGER, line INTEGER, output TEXT, PRIMARY KEY (session, line));
`;

const SELECT = `SELECT h.session AS session, h.line AS line, h.source_raw AS source, o.output AS output
  FROM history h LEFT JOIN output_history o ON o.session = h.session AND o.line = h.line`;

/** How long recorded cells wait to be written (in one batch with the cells recorded meanwhile). */
const WRITE_DELAY_MS = 100;

export class History {
  private database: Database | undefined;
  private opening: Promise<Database | undefined> | undefined;
  private sessionNumber = 0;
  private commands = 0;

  constructor(private readonly path: string, private readonly log: (message: string) => void = () => {}) {}

  static forProject(projectDir: string, log?: (message: string) => void): History {
    return new History(join(projectDir, ".labnote", "history.sqlite"), log);
  }

  /** Opens the database and starts this kernel's session; safe to call many times. Undefined when unavailable. */
  open(): Promise<Database | undefined> {
    this.opening ??= this.openNow();
    return this.opening;
  }

  private async openNow(): Promise<Database | undefined> {
    try {
      const { default: Sqlite } = await import("better-sqlite3");
      mkdirSync(join(this.path, ".."), { recursive: true });
      const database = new Sqlite(this.path, { timeout: 5000 });
      database.pragma("journal_mode = WAL");
      database.pragma("synchronous = NORMAL");
      database.exec(SCHEMA);
      const started = database.prepare("INSERT INTO sessions (start, num_cmds, remark) VALUES (?, 0, '')").run(new Date().toISOString());
      this.sessionNumber = Number(started.lastInsertRowid);
      this.database = database;
      return database;
    } catch (error) {
      this.log(`history is off: cannot open ${this.path} (${(error as Error).message}); check the directory is writable`);
      return undefined;
    }
  }

  get session(): number {
    return this.sessionNumber;
  }

  /**
   * Records one executed cell; output is the text/plain of its execute_result, if any. Cells are written in
   * batches WRITE_DELAY_MS after the first of them (one transaction per batch), never on the reply's path nor right
   * after it, where the next request of a client running cells back to back arrives. A history_request writes what
   * is pending first; close() writes it too.
   */
  record(line: number, source: string, output: string | undefined): Promise<void> {
    this.pending.push({ line, source, output });
    this.writing ??= new Promise<void>((resolve) => setTimeout(resolve, WRITE_DELAY_MS).unref()).then(() => this.writePending());
    return this.writing;
  }

  private pending: { line: number; source: string; output: string | undefined }[] = [];
  private writing: Promise<void> | undefined;

  private async writePending(): Promise<void> {
    const database = await this.open();
    this.writing = undefined;
    if (database) this.writeBatch(database);
    else this.pending = [];
  }

  private writeBatch(database: Database): void {
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      const source = database.prepare("INSERT OR REPLACE INTO history (session, line, source, source_raw) VALUES (?, ?, ?, ?)");
      const output = database.prepare("INSERT OR REPLACE INTO output_history (session, line, output) VALUES (?, ?, ?)");
      database.transaction(() => {
        for (const cell of batch) {
          source.run(this.sessionNumber, cell.line, cell.source, cell.source);
          if (cell.output !== undefined) output.run(this.sessionNumber, cell.line, cell.output);
        }
      })();
      this.commands += batch.length;
    } catch (error) {
      this.log(`history: could not record ${batch.length} cell(s) (${(error as Error).message})`);
    }
  }

  /** Answers a history_request the way IPython's HistoryManager does. */
  async query(request: HistoryRequestContent): Promise<HistoryEntry[]> {
    if (this.pending.length > 0) await this.writePending();
    const database = await this.open();
    if (!database) return [];
    const rows = this.select(database, request);
    return rows.map((row) => [row.session, row.line, request.output ? [row.source, row.output] : row.source]);
  }

  private select(database: Database, request: HistoryRequestContent): Row[] {
    const limit = typeof request.n === "number" && request.n > 0 ? request.n : -1;
    switch (request.hist_access_type) {
      case "tail":
        return (database.prepare(`${SELECT} ORDER BY h.session DESC, h.line DESC LIMIT ?`).all(limit === -1 ? 10 : limit) as Row[]).reverse();
      case "range": {
        // As in IPython: session 0 is the current one, negative numbers count back from it.
        const requested = request.session ?? 0;
        const session = requested <= 0 ? this.sessionNumber + requested : requested;
        const start = request.start ?? 1;
        const stop = request.stop ?? Number.MAX_SAFE_INTEGER;
        return database.prepare(`${SELECT} WHERE h.session = ? AND h.line >= ? AND h.line < ? ORDER BY h.line`).all(session, start, stop) as Row[];
      }
      case "search": {
        const pattern = request.pattern ?? "*";
        const latestOfEach = `${SELECT} WHERE h.source_raw GLOB ? AND NOT EXISTS (SELECT 1 FROM history newer WHERE newer.source_raw = h.source_raw
          AND (newer.session > h.session OR (newer.session = h.session AND newer.line > h.line)))`;
        const query = request.unique ? latestOfEach : `${SELECT} WHERE h.source_raw GLOB ?`;
        return (database.prepare(`${query} ORDER BY h.session DESC, h.line DESC LIMIT ?`).all(pattern, limit) as Row[]).reverse();
      }
      default:
        return [];
    }
  }

  /** Marks the session ended (IPython's sessions.end / num_cmds) and closes the file. */
  close(): void {
    if (!this.database) return;
    this.writeBatch(this.database);
    try {
      this.database.prepare("UPDATE sessions SET end = ?, num_cmds = ? WHERE session = ?").run(new Date().toISOString(), this.commands, this.sessionNumber);
      this.database.close();
    } catch (error) {
      this.log(`history: could not close cleanly (${(error as Error).message})`);
    }
    this.database = undefined;
  }
}
