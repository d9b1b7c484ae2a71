// The page: files from dist/ui/page (index.html, assets/…); any other non-API GET gets index.html, since the page
// routes by URL path (/runs, /run/ID, /compare, /curves, /studies/NAME, /versions).
import { existsSync } from "node:fs";
import { readFile, realpath } from "node:fs/promises";
import { dirname, extname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { isInside } from "../../magics/track/artifacts.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".map": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** dist/ui/page of this package, found from this module whether it runs from dist/ or from source (tsx). */
export function defaultPageDir(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 5; depth++) {
    if (existsSync(join(directory, "package.json"))) return join(directory, "dist", "ui", "page");
    directory = dirname(directory);
  }
  return join(process.cwd(), "dist", "ui", "page");
}

const MISSING_PAGE = `<!doctype html><meta charset="utf-8"><title>labnote ui</title>
<p>The labnote ui page is not built: run <code>npm run build</code> in the labnote package (it bundles ui/page into dist/ui/page), then reload.
The JSON API works meanwhile: <a href="/api/info">/api/info</a>, <a href="/api/runs">/api/runs</a>.</p>`;

export function registerStatic(app: FastifyInstance, pageDir: string): void {
  const root = resolve(pageDir);
  app.get("/*", async (request, reply) => {
    const path = decodeURIComponent(request.url.split("?")[0]!);
    if (path.startsWith("/api/")) return reply.code(404).send({ error: `No API route ${path}: see /api/info and the README's route list.` });
    if (!existsSync(join(root, "index.html"))) return reply.code(503).type("text/html; charset=utf-8").send(MISSING_PAGE);
    const requested = resolve(root, `.${path}`);
    if (path !== "/" && isInside(root, requested) && extname(requested) !== "") {
      try {
        const real = await realpath(requested);
        if (isInside(await realpath(root), real)) {
          const body = await readFile(real);
          const cache = path.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache";
          return reply.type(CONTENT_TYPES[extname(real)] ?? "application/octet-stream").header("cache-control", cache).send(body);
        }
      } catch {
        // a missing asset falls through to 404 below
      }
      if (path.startsWith("/assets/")) return reply.code(404).type("text/plain").send(`No asset ${path}: rebuild the page (npm run build).`);
    }
    const index = await readFile(join(root, "index.html"));
    return reply.type("text/html; charset=utf-8").header("cache-control", "no-cache").send(index);
  });
}
