// Helpers for tests that drive labnote through real Jupyter clients (Debian's python3-jupyter-client, nbclient).
// The kernelspec is installed into test-artifacts/jupyter and found through JUPYTER_PATH, so tests never touch
// the user's own Jupyter set-up. `npm run build` must have produced dist/ first (npm test does it).
import { execFile, execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const PYTHON = "/usr/bin/python3";
export const JUPYTER = "/usr/bin/jupyter";
export const ARTIFACTS = join(REPO_ROOT, "test-artifacts");
const KERNELSPEC_PREFIX = join(ARTIFACTS, "jupyter");

/** Environment in which Jupyter clients find the labnote kernelspec. */
export function kernelEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    JUPYTER_PATH: join(KERNELSPEC_PREFIX, "share", "jupyter"),
    JUPYTER_PLATFORM_DIRS: "1",
    PYDEVD_DISABLE_FILE_VALIDATION: "1",
    // Test projects live under test-artifacts/, inside this repository: without this, every notebook test would
    // auto-snapshot into this repo's refs/labnote/. The %version client test turns it back on in its own project.
    LABNOTE_AUTOSNAPSHOT: "off",
    ...extra,
  };
}

/** Installs the kernelspec (idempotent) with the project's own CLI. */
export function ensureKernelspec(): void {
  if (!existsSync(join(REPO_ROOT, "dist", "kernel", "cli.js"))) {
    throw new Error("dist/ is missing: run `npm run build` before the client tests (npm test does it).");
  }
  mkdirSync(KERNELSPEC_PREFIX, { recursive: true });
  execFileSync(process.execPath, [join(REPO_ROOT, "bin", "labnote.js"), "install", "--prefix", KERNELSPEC_PREFIX], {
    stdio: "pipe",
  });
}

export interface NotebookJSON {
  cells: Array<{
    cell_type: string;
    source: string | string[];
    outputs?: Array<Record<string, unknown> & { output_type: string }>;
    execution_count?: number | null;
  }>;
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/**
 * Executes a notebook with nbclient on the labnote kernel and returns the executed notebook.
 * `cwd` is the notebook's working directory (the project directory for labnote); defaults to the notebook's folder.
 */
export async function executeNotebook(
  notebookPath: string,
  options: { cwd?: string; timeoutSec?: number; allowErrors?: boolean; outputPath?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<NotebookJSON> {
  ensureKernelspec();
  const outputPath = options.outputPath ?? join(ARTIFACTS, "executed", `${Date.now()}-${Math.random().toString(36).slice(2)}.ipynb`);
  mkdirSync(dirname(outputPath), { recursive: true });
  const script = [
    "import sys, nbformat, nbclient",
    "nb = nbformat.read(sys.argv[1], as_version=4)",
    "client = nbclient.NotebookClient(nb, kernel_name='labnote', timeout=int(sys.argv[3]), allow_errors=sys.argv[4] == '1', resources={'metadata': {'path': sys.argv[5]}})",
    "try:",
    "    client.execute()",
    "finally:",
    "    nbformat.write(nb, sys.argv[2])",
  ].join("\n");
  const cwd = options.cwd ?? dirname(resolve(notebookPath));
  await new Promise<void>((resolvePromise, reject) => {
    execFile(
      PYTHON,
      ["-c", script, resolve(notebookPath), outputPath, String(options.timeoutSec ?? 300), options.allowErrors ? "1" : "0", cwd],
      { env: kernelEnv(options.env), cwd, maxBuffer: 64 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        if (error && !existsSync(outputPath)) reject(new Error(`nbclient failed: ${stderr || error.message}`));
        else if (error) reject(Object.assign(new Error(`nbclient failed: ${stderr.slice(-4000)}`), { notebook: readNotebook(outputPath) }));
        else resolvePromise();
      },
    );
  });
  return readNotebook(outputPath);
}

export function readNotebook(path: string): NotebookJSON {
  return JSON.parse(readFileSync(path, "utf8")) as NotebookJSON;
}

/** All outputs of all code cells, flattened, with the index of the cell they came from. */
export function allOutputs(nb: NotebookJSON): Array<Record<string, unknown> & { output_type: string; cell: number }> {
  return nb.cells.flatMap((cell, index) => (cell.outputs ?? []).map((output) => ({ ...output, cell: index })));
}

/** Writes a minimal notebook from cell sources (for tests that build notebooks on the fly). */
export function writeNotebook(path: string, sources: string[]): void {
  mkdirSync(dirname(path), { recursive: true });
  const nb: NotebookJSON = {
    cells: sources.map((source) => ({ cell_type: "code", source, outputs: [], execution_count: null, metadata: {} })),
    metadata: { kernelspec: { name: "labnote", display_name: "TypeScript (labnote)", language: "typescript" } },
    nbformat: 4,
    nbformat_minor: 5,
  };
  writeFileSync(path, JSON.stringify(nb, null, 1));
}
