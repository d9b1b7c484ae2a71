// Typed calls to the labnote ui JSON API (ui/api.ts). A token given once in the page URL (?token=) is kept for the
// tab and sent with every request, so links without it keep working after the first visit.
import type { ApiError } from "../api.js";

const TOKEN_KEY = "labnote-token";

/** The access token: from ?token= on first load (then dropped from the address bar), else the tab's stored one. */
export function accessToken(): string | null {
  const url = new URL(location.href);
  const given = url.searchParams.get("token");
  if (given) {
    sessionStorage.setItem(TOKEN_KEY, given);
    url.searchParams.delete("token");
    history.replaceState(history.state, "", url.pathname + url.search + url.hash);
    return given;
  }
  return sessionStorage.getItem(TOKEN_KEY);
}

/** A failed API call: the server's message, and for a bad query the 1-based position where parsing failed. */
export class ApiRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly position: number | undefined,
  ) {
    super(message);
  }
}

function withToken(path: string): string {
  const token = accessToken();
  if (!token) return path;
  return `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}`;
}

export function apiUrl(path: string, query: Record<string, string | number | boolean | null | undefined> = {}): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) if (value !== null && value !== undefined && value !== "") search.set(key, String(value));
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export async function apiGet<T>(path: string, query: Record<string, string | number | boolean | null | undefined> = {}, signal?: AbortSignal): Promise<T> {
  return request<T>("GET", apiUrl(path, query), signal);
}

export async function apiDelete<T>(path: string): Promise<T> {
  return request<T>("DELETE", path);
}

async function request<T>(method: string, url: string, signal?: AbortSignal): Promise<T> {
  const token = accessToken();
  const headers: Record<string, string> = { accept: "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const response = await fetch(url, { method, headers, signal });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = (body ?? {}) as Partial<ApiError>;
    throw new ApiRequestError(error.error ?? `${method} ${url} failed: HTTP ${response.status} ${text.slice(0, 200)}`, response.status, error.position);
  }
  return body as T;
}

/** Server-sent events from the API (EventSource cannot send headers, so the token rides in the query). */
export function apiEvents(path: string, query: Record<string, string>): EventSource {
  return new EventSource(withToken(apiUrl(path, query)));
}

/** A link to a file the server serves (artifacts): carries the token for a plain <a href>. */
export function downloadUrl(path: string): string {
  return withToken(path);
}
