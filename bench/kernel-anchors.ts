// The kernels bench:kernel measures labnote against, installed the way a user would install them, into a scratch
// directory the bench owns (reused by later runs): a standalone tslab (`npm install tslab`) and Deno's built-in
// Jupyter kernel (`npm install deno`). An anchor that cannot be installed is reported and left out.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface KernelUnderTest {
  /** Short name used in the table: labnote, tslab, deno. */
  name: string;
  /** Kernelspec argv, with {connection_file}. */
  argv: string[];
  version: string;
  /** How it got onto this machine, for the printed report. */
  installedBy: string;
  /**
   * Where its notebook directories are made: for tslab, inside the directory it was installed into, as a user who ran
   * `npm install tslab` in their project has it (tslab finds Node's types only from the notebook's directory upwards).
   */
  projectsIn?: string;
}

export interface AnchorProblem {
  name: string;
  reason: string;
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0] ?? "";
}

function packageVersion(directory: string, name: string): string {
  const pkg = JSON.parse(readFileSync(join(directory, "node_modules", name, "package.json"), "utf8")) as { version?: string };
  return pkg.version ?? "unknown";
}

/** `npm install PACKAGE` in DIRECTORY/PACKAGE unless an earlier run did; returns that directory and how it was set up. */
function npmInstall(anchorsDir: string, pkg: string, probe: string): { directory: string; installedBy: string } {
  const directory = join(anchorsDir, pkg);
  if (existsSync(join(directory, probe))) {
    return { directory, installedBy: `\`npm install ${pkg}\` in ${directory} (reused from an earlier bench run)` };
  }
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, "package.json"), JSON.stringify({ name: `labnote-bench-${pkg}`, private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", pkg], { cwd: directory, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 600_000 });
  if (!existsSync(join(directory, probe))) throw new Error(`npm install ${pkg} finished but ${probe} is missing`);
  return { directory, installedBy: `\`npm install ${pkg}\` in ${directory} (installed by this run)` };
}

function describeFailure(error: unknown): string {
  const failed = error as { stderr?: string; message?: string };
  const stderr = typeof failed.stderr === "string" ? failed.stderr.trim().split("\n").slice(-3).join(" | ") : "";
  return stderr || failed.message || String(error);
}

export function tslabAnchor(anchorsDir: string, node: string): KernelUnderTest {
  const { directory, installedBy } = npmInstall(anchorsDir, "tslab", join("node_modules", "tslab", "bin", "tslab"));
  return {
    name: "tslab",
    argv: [node, join(directory, "node_modules", "tslab", "bin", "tslab"), "kernel", "--config-path", "{connection_file}"],
    version: `tslab ${packageVersion(directory, "tslab")}`,
    installedBy,
    projectsIn: directory,
  };
}

export function denoAnchor(anchorsDir: string): KernelUnderTest {
  const { directory, installedBy } = npmInstall(anchorsDir, "deno", join("node_modules", ".bin", "deno"));
  const deno = join(directory, "node_modules", ".bin", "deno");
  const version = firstLine(execFileSync(deno, ["--version"], { encoding: "utf8", timeout: 60_000 }));
  return { name: "deno", argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"], version, installedBy };
}

/** The anchors that could be installed, and why the others could not. */
export function installAnchors(anchorsDir: string, node: string, wanted: string[]): { anchors: KernelUnderTest[]; problems: AnchorProblem[] } {
  const anchors: KernelUnderTest[] = [];
  const problems: AnchorProblem[] = [];
  const makers: Record<string, () => KernelUnderTest> = { tslab: () => tslabAnchor(anchorsDir, node), deno: () => denoAnchor(anchorsDir) };
  for (const name of wanted) {
    const make = makers[name];
    if (!make) continue;
    try {
      anchors.push(make());
    } catch (error) {
      problems.push({ name, reason: describeFailure(error) });
    }
  }
  return { anchors, problems };
}
