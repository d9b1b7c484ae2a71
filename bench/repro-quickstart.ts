// npm run bench:repro — the quickstart end to end through reproduction: executed through nbclient with
// `%version repro @ --run` and `%version push` appended, then `labnote repro` in a fresh directory against the
// git HTTP remote (git http-backend) and the data remote. Prints verdicts, reasons and wall times; the anchor is
// the plain execution of the same notebook in the same run (what nbconvert --execute gives a user today).
import { execFile, execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gitHttpServer } from "../test/helpers/git-http.js";
import { ARTIFACTS, executeNotebook, REPO_ROOT } from "../test/helpers/jupyter.js";

type Bundle = Record<string, unknown>;
interface Repro { verdict: string; durationMs: number; firstDifference: { description: string } | null; nondeterminism: string[]; environment: unknown[]; cells: { verdict: string }[]; runs: { verdict: string }[] }

const root = join(ARTIFACTS, `bench-repro-${Date.now()}`);
const project = join(root, "project");
mkdirSync(join(root, "remote"), { recursive: true });
mkdirSync(project, { recursive: true });
execFileSync("git", ["init", "-q", "--bare", "shared.git"], { cwd: join(root, "remote") });
execFileSync("git", ["config", "http.receivepack", "true"], { cwd: join(root, "remote", "shared.git") });
execFileSync("git", ["init", "-q", "-b", "main"], { cwd: project });
const { server, url } = await gitHttpServer(join(root, "remote"));
const dataRemote = join(root, "data-remote");

try {
  const notebook = JSON.parse(readFileSync(join(REPO_ROOT, "notebooks", "quickstart.ipynb"), "utf8")) as { cells: Bundle[] };
  const cell = (source: string) => ({ cell_type: "code", metadata: {}, outputs: [], execution_count: null, source });
  notebook.cells.push(cell("%version repro @ --run"), cell(`%version push ${url}/shared.git --data ${dataRemote}`));
  writeFileSync(join(project, "quickstart.ipynb"), JSON.stringify(notebook));
  copyFileSync(join(project, "quickstart.ipynb"), join(root, "plain.ipynb"));

  // The anchor: the same notebook executed plainly (no repro cells), in its own project.
  const plainProject = join(root, "plain");
  mkdirSync(plainProject);
  execFileSync("git", ["init", "-q", "-b", "main"], { cwd: plainProject });
  const plain = JSON.parse(readFileSync(join(REPO_ROOT, "notebooks", "quickstart.ipynb"), "utf8")) as Bundle;
  writeFileSync(join(plainProject, "quickstart.ipynb"), JSON.stringify(plain));
  let started = Date.now();
  await executeNotebook(join(plainProject, "quickstart.ipynb"), { cwd: plainProject, timeoutSec: 1200, env: { LABNOTE_AUTOSNAPSHOT: "on" } });
  const plainSeconds = (Date.now() - started) / 1000;

  started = Date.now();
  const executed = await executeNotebook(join(project, "quickstart.ipynb"), { cwd: project, timeoutSec: 1200, allowErrors: true, env: { LABNOTE_AUTOSNAPSHOT: "on" } });
  const withReproSeconds = (Date.now() - started) / 1000;
  const codeCells = executed.cells.filter((entry) => entry.cell_type === "code");
  const resultOf = (index: number) => (codeCells[index]?.outputs ?? []).find((output) => output.output_type === "execute_result")?.data as Bundle | undefined;
  const inKernel = resultOf(codeCells.length - 2)?.["application/json"] as Repro | undefined;
  const version = execFileSync("git", ["for-each-ref", "--format=%(objectname)", "refs/labnote/*/versions"], { cwd: project, encoding: "utf8" }).trim();

  const fresh = mkdtempSync(join(root, "fresh-"));
  started = Date.now();
  const cli = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
    execFile(process.execPath, [join(REPO_ROOT, "bin", "labnote.js"), "repro", version, "--remote", `${url}/shared.git`, "--data", dataRemote, "--json"], { cwd: fresh, env: { ...process.env, LABNOTE_STORE: "" }, maxBuffer: 64 << 20 }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? -1) : 0, stdout, stderr }),
    ),
  );
  const cliSeconds = (Date.now() - started) / 1000;
  const fromShell = cli.stdout ? (JSON.parse(cli.stdout) as Repro) : undefined;

  const line = (label: string, repro: Repro | undefined) =>
    repro
      ? `${label}: ${repro.verdict} — ${repro.cells.filter((entry) => entry.verdict !== "skipped").length} cells, ${repro.runs.length} runs compared, ${(repro.durationMs / 1000).toFixed(1)} s${repro.firstDifference ? `; first difference: ${repro.firstDifference.description}` : ""}${repro.nondeterminism.length ? `\n    nondeterminism: ${repro.nondeterminism.join("\n    nondeterminism: ")}` : ""}`
      : `${label}: no result`;
  console.log(`version ${version.slice(0, 10)} of notebooks/quickstart.ipynb`);
  console.log(`plain execution through nbclient (the anchor): ${plainSeconds.toFixed(1)} s`);
  console.log(`execution with %version repro @ --run and push appended: ${withReproSeconds.toFixed(1)} s`);
  console.log(line("%version repro @ --run (same machine, same backend)", inKernel));
  console.log(line(`labnote repro in a fresh directory (exit ${cli.code}, ${cliSeconds.toFixed(1)} s wall)`, fromShell));
  if (cli.stderr) console.log(`stderr: ${cli.stderr.slice(-2000)}`);
} finally {
  server.close();
  rmSync(root, { recursive: true, force: true });
}
