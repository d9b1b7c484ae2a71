// The content-addressed data cache (.labnote/cache/<aa>/<rest>), its remote copies (plain directories), and the
// tombstones %version forget leaves so later checkouts explain why bytes are gone.
import { createHash, randomBytes } from "node:crypto";
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { cacheDir } from "./paths.js";

export interface Tombstone {
  sha256: string;
  path: string | null;
  reason: string;
  removedAt: string;
}

export function objectPath(root: string, sha256: string): string {
  return join(root, sha256.slice(0, 2), sha256.slice(2));
}

/** A remote data directory given as a path or a file:// URL. */
export function remoteDataDir(remote: string, projectDir: string): string {
  if (remote.startsWith("file://")) return fileURLToPath(remote);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(remote)) throw new Error(`${remote} is not a directory: the data cache goes to a path or a file:// URL.`);
  return resolve(projectDir, remote);
}

/** Streams the file through one buffer (data files may be far larger than memory). */
export function sha256OfFile(path: string): string {
  const hash = createHash("sha256");
  const buffer = Buffer.allocUnsafe(4 * 1024 * 1024);
  const fd = openSync(path, "r");
  try {
    for (let read; (read = readSync(fd, buffer, 0, buffer.length, null)) > 0; ) hash.update(buffer.subarray(0, read));
  } finally {
    closeSync(fd);
  }
  return hash.digest("hex");
}

/** Copies a file atomically (temp + rename) so a crash never leaves a half object or half restored file. */
export function copyAtomically(from: string, to: string): void {
  mkdirSync(dirname(to), { recursive: true });
  const temporary = `${to}.labnote-tmp-${randomBytes(4).toString("hex")}`;
  copyFileSync(from, temporary);
  renameSync(temporary, to);
}

export function listObjects(root: string): string[] {
  if (!existsSync(root)) return [];
  const out: string[] = [];
  for (const prefix of readdirSync(root)) {
    if (!/^[0-9a-f]{2}$/.test(prefix)) continue;
    for (const rest of readdirSync(join(root, prefix))) if (/^[0-9a-f]{62}$/.test(rest)) out.push(prefix + rest);
  }
  return out;
}

function tombstoneFile(root: string): string {
  return join(root, "tombstones.json");
}

export function readTombstones(root: string): Tombstone[] {
  try {
    return JSON.parse(readFileSync(tombstoneFile(root), "utf8")) as Tombstone[];
  } catch {
    return [];
  }
}

export function writeTombstones(root: string, tombstones: Tombstone[]): void {
  const unique = new Map(tombstones.map((tombstone) => [`${tombstone.sha256}:${tombstone.path ?? ""}`, tombstone]));
  mkdirSync(root, { recursive: true });
  const temporary = `${tombstoneFile(root)}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify([...unique.values()], null, 2)}\n`);
  renameSync(temporary, tombstoneFile(root));
}

export function localCache(projectDir: string): string {
  return cacheDir(projectDir);
}

/** Removes an object's bytes from a cache directory; true when they were there. */
export function removeObject(root: string, sha256: string): boolean {
  const path = objectPath(root, sha256);
  if (!existsSync(path)) return false;
  unlinkSync(path);
  return true;
}

/** Copies objects missing in `to` from `from`, skipping tombstoned ones. Returns the hashes copied. */
export function syncObjects(from: string, to: string, skip: Set<string>): string[] {
  const copied: string[] = [];
  for (const sha256 of listObjects(from)) {
    if (skip.has(sha256) || existsSync(objectPath(to, sha256))) continue;
    copyAtomically(objectPath(from, sha256), objectPath(to, sha256));
    copied.push(sha256);
  }
  return copied;
}

/** Why an object is missing, when a tombstone says so. */
export function tombstoneMessage(tombstones: Tombstone[], sha256: string, path: string): string | undefined {
  const tombstone = tombstones.find((candidate) => candidate.sha256 === sha256);
  if (!tombstone) return undefined;
  return `${path}: removed on ${tombstone.removedAt.slice(0, 10)}: ${tombstone.reason}`;
}
