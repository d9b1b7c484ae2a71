// Access to `labnote ui`: loopback binds are open; any other bind needs the token, given as `Authorization: Bearer T`,
// `?token=T`, or the cookie the server sets after a valid `?token=` (so the page's own requests and links work).
import { randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyReply, FastifyRequest } from "fastify";

export const TOKEN_COOKIE = "labnote_token";

export function isLoopbackHost(host: string): boolean {
  return host === "localhost" || host === "::1" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function generateToken(): string {
  return randomBytes(24).toString("base64url");
}

function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const [name, ...value] = part.trim().split("=");
    if (name === TOKEN_COOKIE) return decodeURIComponent(value.join("="));
  }
  return undefined;
}

/** An onRequest hook: 401 unless the request carries the token; a valid ?token= also sets the cookie. */
export function requireToken(token: string) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1]?.trim();
    const query = (request.query as Record<string, unknown> | undefined)?.token;
    const fromQuery = typeof query === "string" ? query : undefined;
    const candidates = [bearer, fromQuery, cookieToken(request.headers.cookie)];
    if (!candidates.some((candidate) => candidate !== undefined && sameToken(candidate, token))) {
      await reply
        .code(401)
        .header("www-authenticate", 'Bearer realm="labnote ui"')
        .send({ error: "labnote ui needs its access token: open the URL it printed (with ?token=…), or send Authorization: Bearer TOKEN." });
      return;
    }
    if (fromQuery !== undefined && sameToken(fromQuery, token)) {
      reply.header("set-cookie", `${TOKEN_COOKIE}=${encodeURIComponent(token)}; Path=/; HttpOnly; SameSite=Strict`);
    }
  };
}
