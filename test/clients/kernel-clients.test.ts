// The kernel through Jupyter's own clients: nbconvert executes notebooks/hello.ipynb, jupyter console round-trips.
import { execFile } from "node:child_process";
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allOutputs, JUPYTER, kernelEnv, readNotebook, REPO_ROOT } from "../helpers/jupyter.js";
import { ensureKernelspecs, freshProject } from "./kernel-wire-env.js";
import { chartSvgOf } from "../../kernel/display.js";

function jupyter(args: string[], options: { cwd: string; input?: string; timeoutMs: number }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(JUPYTER, args, { cwd: options.cwd, env: kernelEnv(), timeout: options.timeoutMs, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`jupyter ${args[0]} failed: ${error.message}\n${stderr.slice(-3000)}`)) : resolve({ stdout, stderr })));
    child.stdin?.end(options.input ?? "");
  });
}

describe("labnote through Jupyter's clients", () => {
  it("executes notebooks/hello.ipynb with jupyter nbconvert: stream, results, HTML, Markdown, Vega-Lite, import, magic, error", async () => {
    ensureKernelspecs();
    const project = freshProject("hello");
    copyFileSync(join(REPO_ROOT, "notebooks", "hello.ipynb"), join(project, "hello.ipynb"));
    await jupyter(["nbconvert", "--to", "notebook", "--execute", "hello.ipynb", "--output", "hello.executed.ipynb"], { cwd: project, timeoutMs: 300_000 });
    const outputs = allOutputs(readNotebook(join(project, "hello.executed.ipynb")));
    const of = (type: string) => outputs.filter((output) => output.output_type === type);
    // nbformat stores multi-line strings as lists of lines.
    const joined = (value: unknown): unknown => (Array.isArray(value) && value.every((line) => typeof line === "string") ? value.join("") : value);
    const data = (output: Record<string, unknown>) =>
      Object.fromEntries(Object.entries(output.data as Record<string, unknown>).map(([mime, value]) => [mime, joined(value)]));

    expect(of("stream").map((output) => joined(output.text))).toContain("hello from labnote\n");
    const results = of("execute_result").map((output) => data(output)["text/plain"]);
    expect(results).toEqual(expect.arrayContaining(["42", "'train.csv'", "'still running: answer is 42'"]));
    const mimes = of("display_data").flatMap((output) => Object.keys(data(output)));
    expect(mimes).toEqual(expect.arrayContaining(["text/html", "text/markdown", "application/vnd.vegalite.v5+json", "image/png"]));
    const svg = of("display_data").map((output) => chartSvgOf(data(output))).find((value) => typeof value === "string") as string;
    expect(svg).toMatch(/<svg[\s\S]*<\/svg>/);
    const timed = of("execute_result").find((output) => typeof data(output)["application/json"] === "object");
    expect(data(timed!)["application/json"]).toMatchObject({ wallMs: expect.any(Number) });
    expect(of("error").map((output) => output.evalue)).toEqual(["this cell fails on purpose"]);
  }, 320_000);

  it("round-trips through jupyter console --simple-prompt: state across cells, results and printed output", async () => {
    ensureKernelspecs();
    const project = freshProject("console");
    const input = ['const greeting: string = "hi " + "there"', "greeting.toUpperCase()", "console.log(6 * 7)", ""].join("\n");
    const { stdout } = await jupyter(["console", "--kernel", "labnote", "--simple-prompt", "-y"], { cwd: project, input, timeoutMs: 120_000 });
    expect(stdout).toMatch(/labnote \d+\.\d+\.\d+: TypeScript/);
    expect(stdout).toMatch(/Out\[2\]: 'HI THERE'/);
    expect(stdout).toMatch(/In \[3\]: 42/);
  }, 130_000);
});
