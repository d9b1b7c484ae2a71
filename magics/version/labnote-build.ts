// Which labnote produced a result: its version and a digest of its compiled code. Recorded in the environment
// lock, so a reproduction whose charts or tables changed shape can say that labnote itself changed.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { PACKAGE_ROOT } from "../../kernel/engine/package-root.js";

let cached: string | undefined;

function javascriptFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) javascriptFiles(path, out);
    else if (entry.name.endsWith(".js")) out.push(path);
  }
  return out;
}

/** "0.1.0+3f2a9c1b7d4e": package version + the first 12 hex digits of the sha256 over dist/**.js (paths and bytes). */
export function labnoteBuild(options: { fresh?: boolean } = {}): string {
  if (cached && !options.fresh) return cached;
  const version = (JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
  const dist = join(PACKAGE_ROOT, "dist");
  if (!existsSync(dist)) return (cached = version);
  const hash = createHash("sha256");
  for (const file of javascriptFiles(dist).sort()) hash.update(relative(dist, file)).update("\0").update(readFileSync(file)).update("\0");
  return (cached = `${version}+${hash.digest("hex").slice(0, 12)}`);
}
