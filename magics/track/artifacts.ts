// run.artifact(path): copy a project file into .labnote/artifacts/<runId>/ and hash it. Paths outside the project
// are refused: a run must not reach into the rest of the disk.
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { copyFile, mkdir, realpath, stat } from "node:fs/promises";
import { basename, isAbsolute, join, relative, resolve } from "node:path";
import type { ArtifactRecord } from "../../store/types.js";

export function isInside(root: string, target: string): boolean {
  const path = relative(root, target);
  return path === "" || (!path.startsWith("..") && !isAbsolute(path));
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

export async function copyArtifact(projectDir: string, runId: string, path: string): Promise<ArtifactRecord> {
  const root = await realpath(projectDir);
  const requested = resolve(root, path);
  let source: string;
  try {
    source = await realpath(requested);
  } catch {
    throw new Error(`run.artifact: "${path}" does not exist (looked at ${requested}); write the file first, then record it.`);
  }
  if (!isInside(root, source)) {
    throw new Error(`run.artifact: "${path}" is outside the project directory ${root}; copy it into the project first, then record it.`);
  }
  const info = await stat(source);
  if (!info.isFile()) throw new Error(`run.artifact: "${path}" is not a file; record files one by one (or archive the directory first).`);
  const targetDir = join(root, ".labnote", "artifacts", runId);
  await mkdir(targetDir, { recursive: true });
  const name = relative(root, source).split(/[\\/]/).join("__") || basename(source);
  const target = join(targetDir, name);
  await copyFile(source, target);
  return { runId, name: relative(root, source), location: target, sha256: await sha256File(target), size: info.size, createdAt: Date.now() };
}
