// notebooks/versioning.ipynb executed through nbclient on the real labnote kernel, in its own project repository:
// results are data, the repository is readable by the git CLI and fsck-clean, and the user's branch is untouched.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, ARTIFACTS, executeNotebook, REPO_ROOT } from "../helpers/jupyter.js";

type Output = ReturnType<typeof allOutputs>[number];
const data = (output: Output | undefined): Record<string, unknown> => (output?.data ?? {}) as Record<string, unknown>;
const git = (cwd: string, ...args: string[]) =>
  execFileSync("git", args, { cwd, encoding: "utf8", env: { ...process.env, GIT_AUTHOR_NAME: "u", GIT_AUTHOR_EMAIL: "u@example.com", GIT_COMMITTER_NAME: "u", GIT_COMMITTER_EMAIL: "u@example.com" } });

describe("notebooks/versioning.ipynb", () => {
  it("snapshots, commits, diffs, reproduces and checks out through a real Jupyter client", async () => {
    // Inside the repository (so node_modules resolve) but with its own git repository, as a user's project has.
    const projectDir = join(ARTIFACTS, `version-notebook-${Date.now()}`);
    mkdirSync(join(projectDir, "data"), { recursive: true });
    writeFileSync(join(projectDir, "data", "measurements.csv"), "x,y\n1,2.1\n2,3.9\n3,6.2\n4,7.8\n");
    git(projectDir, "init", "-q", "-b", "main");
    writeFileSync(join(projectDir, "README.md"), "my project\n");
    git(projectDir, "add", "README.md");
    git(projectDir, "commit", "-q", "-m", "user commit");
    const userHead = git(projectDir, "rev-parse", "HEAD");
    const notebook = join(projectDir, "versioning.ipynb");
    copyFileSync(join(REPO_ROOT, "notebooks", "versioning.ipynb"), notebook);

    const nb = await executeNotebook(notebook, { cwd: projectDir, timeoutSec: 240, env: { LABNOTE_AUTOSNAPSHOT: "on" } });
    const outputs = allOutputs(nb);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);
    const cellIndex = (needle: string): number => nb.cells.findIndex((cell) => [cell.source].flat().join("").includes(needle));
    const result = (needle: string) => data(outputs.find((output) => output.cell === cellIndex(needle) && output.output_type === "execute_result"));

    const declared = result("%version data")["application/json"] as { path: string; files: { path: string; size: number }[] };
    expect(declared.files).toEqual([{ path: "data/measurements.csv", size: 28, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) }]);
    const first = result('-m "baseline fit')["application/json"] as { id: string; message: string; data: { files: { path: string }[] }; env: { node: string } };
    expect(first.id).toMatch(/^[0-9a-f]{40}$/);
    expect(first.message).toBe("baseline fit on 4 points");
    expect(first.data.files.map((file) => file.path)).toEqual(["data/measurements.csv"]);
    expect(first.env.node).toMatch(/^v\d+/);
    const second = result('-m "refit')["application/json"] as { id: string };

    const log = data(outputs.filter((output) => output.cell === nb.cells.findIndex((cell, index) => index > 3 && [cell.source].flat().join("") === "%version log") && output.output_type === "execute_result")[0]);
    expect((log["application/json"] as { id: string }[]).map((entry) => entry.id)).toEqual([second.id, first.id]);
    expect(String(log["text/html"])).toContain("<table>");

    const diff = result("%version diff")["application/json"] as { cells: { diff: string }[]; data: { modified: { path: string; before: { size: number }; after: { size: number } }[] } };
    expect(diff.data.modified).toEqual([expect.objectContaining({ path: "data/measurements.csv", before: expect.objectContaining({ size: 28 }), after: expect.objectContaining({ size: 35 }) })]);
    expect(diff.cells.map((cell) => cell.diff).join("\n")).toContain("+const newSlope = fitSlope();");

    const repro = result("%version repro")["application/json"] as { data: { modified: { path: string }[] }; nondeterminism: string[] };
    expect(repro.data.modified.map((entry) => entry.path)).toEqual(["data/measurements.csv"]);

    const checkout = result("%version checkout")["application/json"] as { notebook: string; data: { restored: string[] } };
    expect(checkout.data.restored).toEqual(["data/measurements.csv"]);
    const restored = JSON.parse(readFileSync(checkout.notebook, "utf8")) as { cells: { source: string }[] };
    expect(restored.cells.map((cell) => cell.source).join("\n")).toContain("const baselineSlope = fitSlope();");
    expect(restored.cells.map((cell) => cell.source).join("\n")).not.toContain("newSlope");
    expect(String(result(".length - 1")["text/plain"])).toBe("4");

    // The git CLI reads the snapshots and versions; fsck is clean; the user's branch is where it was.
    const snapshots = git(projectDir, "log", "--format=%s", "refs/labnote/notebook/cells").trim().split("\n");
    // Each %version command first waits for the earlier cells' snapshots, so cells [1]..[10] are there whatever the
    // shutdown timing.
    for (let count = 1; count <= 10; count++) expect(snapshots.some((subject) => subject.startsWith(`cell [${count}] ok: `))).toBe(true);
    expect(snapshots).toContain("cell [3] ok: %version data data/measurements.csv");
    const fitSnapshot = JSON.parse(git(projectDir, "show", `refs/labnote/notebook/cells~${snapshots.indexOf("cell [4] ok: function fitSlope(): number {")}:cell.json`)) as { data: { files: { path: string }[] } };
    expect(fitSnapshot.data.files.map((file) => file.path)).toEqual(["data/measurements.csv"]);
    expect(git(projectDir, "log", "--format=%s", "refs/labnote/notebook/versions").trim()).toBe("refit with 5 points\nbaseline fit on 4 points");
    execFileSync("git", ["fsck", "--full", "--strict"], { cwd: projectDir, stdio: "pipe" });
    expect(git(projectDir, "rev-parse", "HEAD")).toBe(userHead);
    expect(git(projectDir, "status", "--porcelain", "--untracked-files=no")).toBe("");
  });
});
