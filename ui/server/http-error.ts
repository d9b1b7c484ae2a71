// Errors a route throws on purpose: the status and the message the client sees (ui/api.ts ApiError).
import { QueryError } from "../../magics/track/query.js";
import type { ApiError } from "../api.js";

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly position?: number,
  ) {
    super(message);
  }
}

export function notFound(message: string): HttpError {
  return new HttpError(404, message);
}

export function badRequest(message: string): HttpError {
  return new HttpError(400, message);
}

/** The status and body for anything a route threw: query errors and bad parameters are 400s, never 500s. */
export function errorResponse(error: unknown): { status: number; body: ApiError } {
  if (error instanceof HttpError) return { status: error.status, body: error.position === undefined ? { error: error.message } : { error: error.message, position: error.position } };
  if (error instanceof QueryError) return { status: 400, body: { error: error.message.replace(/^--where: /, "where: "), position: error.position } };
  const fastifyError = error as { statusCode?: number; message?: string; validation?: unknown };
  if (typeof fastifyError.statusCode === "number" && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return { status: fastifyError.statusCode, body: { error: fastifyError.message ?? "bad request" } };
  }
  if (isStoreUnavailable(error)) {
    return { status: 503, body: { error: `The store is unavailable right now (${error instanceof Error ? error.message : String(error)}); labnote ui keeps retrying — reload in a moment.` } };
  }
  return { status: 500, body: { error: `labnote ui: ${error instanceof Error ? error.message : String(error)}` } };
}

const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "EPIPE", "ETIMEDOUT", "57P01", "57P02", "57P03", "08006", "08001", "08003", "SQLITE_BUSY", "SQLITE_LOCKED"]);

/** A locked SQLite file or a PostgreSQL server that is restarting: a 503 the page can retry, not a 500. */
function isStoreUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && UNAVAILABLE_CODES.has(code)) return true;
  const message = error instanceof Error ? error.message : "";
  return /Connection terminated|connection timeout|database is locked|the database system is (starting up|shutting down)/i.test(message);
}

type Query = Record<string, unknown>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) throw badRequest(`"${name}" was given ${value.length} times: give it once.`);
  return String(value);
}

/** A string parameter ("" counts as absent). */
export function stringParam(query: Query, name: string): string | undefined {
  const value = single(query, name);
  return value === undefined || value === "" ? undefined : value;
}

/** An integer parameter within [min, max], or the default; anything else is a 400 that says what is allowed. */
export function integerParam(query: Query, name: string, options: { default: number; min: number; max: number }): number {
  const text = stringParam(query, name);
  if (text === undefined) return options.default;
  if (!/^-?\d+$/.test(text.trim())) throw badRequest(`"${name}" must be a whole number from ${options.min} to ${options.max}, not "${text}".`);
  const value = Number(text);
  if (value < options.min || value > options.max) throw badRequest(`"${name}" must be from ${options.min} to ${options.max}, not ${value}.`);
  return value;
}

/** A number parameter (finite), or undefined. */
export function numberParam(query: Query, name: string): number | undefined {
  const text = stringParam(query, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw badRequest(`"${name}" must be a number, not "${text}".`);
  return value;
}

/** A comma-separated list of run ids (non-empty, at most `max`). */
export function idListParam(query: Query, name: string, options: { min: number; max: number }): string[] {
  const text = stringParam(query, name) ?? "";
  const ids = [...new Set(text.split(",").map((id) => id.trim()).filter((id) => id !== ""))];
  if (ids.length < options.min) throw badRequest(`"${name}" needs at least ${options.min} run id(s), comma-separated, e.g. ?${name}=ID,ID.`);
  if (ids.length > options.max) throw badRequest(`"${name}" takes at most ${options.max} run ids, got ${ids.length}.`);
  return ids;
}
