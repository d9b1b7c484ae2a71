// Where %version keeps things inside a project, and the checks that keep every write inside it.
import { existsSync, realpathSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";

export function labnoteDir(projectDir: string): string {
  return join(projectDir, ".labnote");
}

export function cacheDir(projectDir: string): string {
  return join(labnoteDir(projectDir), "cache");
}

/** `child` is `parent` or lies below it (lexically). */
export function isWithin(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel) && rel.split(sep)[0] !== "..");
}

/** Project-relative path with forward slashes, the form manifests store. */
export function toProjectPath(projectDir: string, absolutePath: string): string {
  return relative(projectDir, absolutePath).split(sep).join("/");
}

/** The real path of `path`, or of its deepest existing ancestor joined with the missing rest. */
export function realPathOfPossiblyMissing(path: string): string {
  let existing = path;
  const missing: string[] = [];
  while (!existsSync(existing)) {
    const parent = dirname(existing);
    if (parent === existing) break;
    missing.unshift(existing.slice(parent.length).replace(/^[\\/]/, ""));
    existing = parent;
  }
  return join(realpathSync(existing), ...missing);
}

export class OutsideProjectError extends Error {
  override readonly name = "OutsideProjectError";
}

/**
 * Resolves a user- or manifest-given path to an absolute path inside the project, refusing `..` escapes,
 * absolute paths elsewhere, and symlinks (at any level) that lead outside.
 */
export function resolveInsideProject(projectDir: string, path: string): string {
  const absolute = resolve(projectDir, path);
  if (!isWithin(projectDir, absolute)) {
    throw new OutsideProjectError(`${path} is outside the project ${projectDir}: labnote only reads and writes data inside the project directory; move the file into it.`);
  }
  const realProject = realpathSync(projectDir);
  const real = realPathOfPossiblyMissing(absolute);
  if (!isWithin(realProject, real)) {
    throw new OutsideProjectError(`${path} leads outside the project through a symlink (to ${real}): replace the symlink with the data itself, or declare the real location inside the project.`);
  }
  return absolute;
}

/** Paths the read observer and the auto-snapshot never treat as data. */
export function isIgnoredProjectPath(projectPath: string): boolean {
  const first = projectPath.split("/")[0];
  if (first === ".labnote" || first === ".git" || first === "node_modules" || first === ".ipynb_checkpoints") return true;
  return /\.(ts|tsx|mts|cts|js|mjs|cjs|map|ipynb)$/.test(projectPath);
}
