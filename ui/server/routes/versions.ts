// GET /api/versions, /api/versions/diff and /api/versions/rows — the refs/labnote history of the project, read with
// isomorphic-git through the same functions %version uses (magics/version/git-store.ts, versions.ts, diff.ts), and
// the row-level diff of two versions' table files (row-diff-versions.ts, as `%version diff A B --rows`).
import { existsSync } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import { dirname, join, relative } from "node:path";
import type { FastifyInstance } from "fastify";
import type { JSONObject } from "../../../kernel/types.js";
import { diffVersions } from "../../../magics/version/diff.js";
import { firstParentLog } from "../../../magics/version/git-store.js";
import { diffResolvedVersionRows } from "../../../magics/version/row-diff-versions.js";
import { TableFormatError } from "../../../magics/version/row-diff.js";
import { MagicError } from "../../../magics/types.js";
import { readVersion, readVersionNotebook } from "../../../magics/version/versions.js";
import type { VersionDiffResponse, VersionRow, VersionRowsResponse, VersionsResponse } from "../../api.js";
import type { UiContext } from "../context.js";
import { HttpError, integerParam, notFound, stringParam } from "../http-error.js";

/** The .git directory of the repository holding the project (the project or a parent), or null. */
export function findGitDir(project: string): string | null {
  let directory = project;
  for (;;) {
    if (existsSync(join(directory, ".git"))) return join(directory, ".git");
    const parent = dirname(directory);
    if (parent === directory) return null;
    directory = parent;
  }
}

async function labnoteRefs(gitdir: string): Promise<string[]> {
  const root = join(gitdir, "refs", "labnote");
  const refs: string[] = [];
  const walk = async (directory: string): Promise<void> => {
    for (const entry of await readdir(directory, { withFileTypes: true }).catch(() => [])) {
      const path = join(directory, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) refs.push(relative(gitdir, path).split("\\").join("/"));
    }
  };
  if ((await stat(root).catch(() => null))?.isDirectory()) await walk(root);
  return refs.sort();
}

async function versionRows(gitdir: string, limit: number): Promise<VersionRow[]> {
  const rows: VersionRow[] = [];
  for (const ref of await labnoteRefs(gitdir)) {
    const named = ref.endsWith("/versions");
    const notebook = ref.replace(/^refs\/labnote\//, "").replace(/\/[^/]+$/, "") || null;
    for (const commit of await firstParentLog(gitdir, ref, limit)) {
      rows.push({ id: commit.oid, ref, message: commit.message.trim(), kind: named ? "commit" : "snapshot", time: commit.timestamp * 1000, notebook, parents: commit.parents });
    }
  }
  return rows.sort((a, b) => b.time - a.time).slice(0, limit);
}

export function registerVersionRoutes(app: FastifyInstance, context: UiContext): void {
  const gitdir = (): string | null => (context.info.project ? findGitDir(context.info.project) : null);

  app.get("/api/versions", async (request): Promise<VersionsResponse> => {
    const limit = integerParam(request.query as Record<string, unknown>, "limit", { default: 200, min: 1, max: 5000 });
    const directory = gitdir();
    return { project: context.info.project, versions: directory ? await versionRows(directory, limit) : [] };
  });

  /** The two named versions a diff request asks for, as full ids (400 / 404 when they are not that). */
  const resolvePair = async (query: Record<string, unknown>, route: string): Promise<{ directory: string; idA: string; idB: string }> => {
    const a = stringParam(query, "a");
    const b = stringParam(query, "b");
    if (!a || !b) throw new HttpError(400, `a diff needs two versions: ${route}?a=ID&b=ID (ids from /api/versions).`);
    const directory = gitdir();
    if (!directory) throw notFound("This project has no git repository, so no refs/labnote versions: make one with %version commit.");
    const named = (await versionRows(directory, 5000)).filter((row) => row.kind === "commit");
    const resolve = (spec: string): string => {
      if (!/^[0-9a-f]{4,40}$/i.test(spec)) throw new HttpError(400, `"${spec}" is not a version id: use an id (or a unique prefix of 4+ hex digits) from /api/versions.`);
      const matches = named.filter((row) => row.id.startsWith(spec.toLowerCase()));
      if (matches.length === 1) return matches[0]!.id;
      if (matches.length > 1) throw new HttpError(400, `version prefix ${spec} is ambiguous: give more digits.`);
      throw notFound(`No named version ${spec} (from %version commit) in refs/labnote: see /api/versions.`);
    };
    return { directory, idA: resolve(a), idB: resolve(b) };
  };

  app.get("/api/versions/diff", async (request): Promise<VersionDiffResponse> => {
    const { directory, idA, idB } = await resolvePair(request.query as Record<string, unknown>, "/api/versions/diff");
    const diff = await diffVersions(await readVersion(directory, idA), await readVersionNotebook(directory, idA), await readVersion(directory, idB), await readVersionNotebook(directory, idB));
    return { a: idA, b: idB, diff: diff as unknown as JSONObject };
  });

  app.get("/api/versions/rows", async (request): Promise<VersionRowsResponse> => {
    const query = request.query as Record<string, unknown>;
    const { directory, idA, idB } = await resolvePair(query, "/api/versions/rows");
    const key = stringParam(query, "key") || undefined;
    const path = stringParam(query, "path") || undefined;
    try {
      const diff = await diffResolvedVersionRows(context.info.project!, directory, idA, idB, { key, path });
      return { a: idA, b: idB, key: diff.key, files: diff.files as unknown as VersionRowsResponse["files"], skipped: diff.skipped };
    } catch (error) {
      // A malformed table, a key that is no column, a path neither version has: the user's input, so 400 / 404.
      if (error instanceof TableFormatError) throw new HttpError(400, error.message);
      if (error instanceof MagicError) throw new HttpError(/in neither version/.test(error.message) ? 404 : 400, error.message);
      throw error;
    }
  });
}
