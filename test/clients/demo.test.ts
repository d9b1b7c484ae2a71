// `npm run demo` end to end (minus the machine set-up that npm test has already done): the quickstart runs
// through real Jupyter, and the HTML report shows every chart as an inline SVG with no error output.
// The render step must also refuse notebooks with an error output or a chart that has no SVG.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ARTIFACTS, PYTHON, readNotebook, REPO_ROOT, writeNotebook } from "../helpers/jupyter.js";

function run(command: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    execFile(command, args, { cwd: REPO_ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      resolveRun({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

/** The inline SVG of each chart output in the report (nbconvert's lab template wraps each in a div). */
function chartBlocks(html: string): string[] {
  return html.split('data-mime-type="image/svg+xml"').slice(1).map((rest) => rest.slice(0, rest.indexOf("</svg>") + 6));
}

describe("npm run demo", () => {
  it("executes the quickstart and writes an HTML report whose every chart is an inline SVG", async () => {
    const out = join(ARTIFACTS, "demo");
    rmSync(out, { recursive: true, force: true });
    const result = await run("bash", ["scripts/demo.sh"], { LABNOTE_DEMO_SKIP_SETUP: "1", LABNOTE_DEMO_OUT: out });
    // The kernel's own stderr (native GPU-driver probes, for instance) is not report content; exit status is.
    expect(result.code, result.stderr.slice(-3000)).toBe(0);
    const reportPath = join(out, "quickstart.html");
    expect(result.stdout.trim().split("\n").at(-1)).toBe(reportPath);
    expect(existsSync(reportPath)).toBe(true);

    const executed = readNotebook(join(out, "quickstart.ipynb"));
    const outputs = executed.cells.flatMap((cell) => cell.outputs ?? []);
    expect(outputs.filter((output) => output.output_type === "error")).toEqual([]);
    const chartOutputs = outputs.filter((output) => Object.keys((output.data ?? {}) as object).some((mime) => mime.startsWith("application/vnd.vegalite")));
    // Track (3 runs), tune (history, parallel coordinates, importances, slices), eval (4) and compare charts.
    expect(chartOutputs.length).toBeGreaterThanOrEqual(10);

    const html = readFileSync(reportPath, "utf8");
    const charts = chartBlocks(html);
    expect(charts).toHaveLength(chartOutputs.length);
    for (const chart of charts) {
      expect(chart).toMatch(/^>\s*<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      expect(chart).toMatch(/<(path|rect|line)\b/); // marks survived (no HTML sanitiser stripped the SVG)
    }
    expect(html).not.toContain("application/vnd.vegalite");
    expect(html).not.toContain("<script"); // static: no JavaScript, no CDN
    expect(html).not.toContain("jp-RenderedText\" data-mime-type=\"application/vnd.jupyter.stderr");
    expect(html).not.toMatch(/Traceback|Error:/);
    // What the tour shows, as data the report kept: the study's best trial and the evaluation against baselines.
    expect(html).toContain("study quickstart-mlp");
    expect(html).toContain("zero-rule");
    expect(html).toContain("Reliability diagram");

    // labnote export's interactive page: every chart's spec, with its SVG fallback, and nothing to fetch.
    const interactive = readFileSync(join(out, "quickstart-interactive.html"), "utf8");
    expect(interactive.match(/data-chart-spec="/g)?.length).toBe(chartOutputs.length);
    expect(interactive.match(/class="chart-fallback"><svg/g)?.length).toBe(chartOutputs.length);
    expect(interactive).not.toMatch(/<script[^>]+src=|<link[^>]+href=/);
  }, 420_000);

  it("refuses to render a report from a notebook with an error output or a chart without an SVG", async () => {
    const dir = join(ARTIFACTS, "demo-refusals");
    mkdirSync(dir, { recursive: true });
    const notebook = join(dir, "broken.ipynb");
    writeNotebook(notebook, ["1 + 1", "chart"]);
    const nb = readNotebook(notebook);
    nb.cells[0]!.outputs = [{ output_type: "error", ename: "TypeError", evalue: "x is not a function", traceback: [] }];
    nb.cells[1]!.outputs = [{ output_type: "display_data", metadata: {}, data: { "application/vnd.vegalite.v5+json": { mark: "bar" }, "text/plain": "<chart>" } }];
    const { writeFileSync } = await import("node:fs");
    writeFileSync(notebook, JSON.stringify(nb));
    const result = await run(PYTHON, ["scripts/demo-report.py", "render", notebook, join(dir, "broken.html")]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("cell 0: TypeError: x is not a function");
    expect(result.stderr).toContain("cell 1: a chart without an image/svg+xml rendering");
    expect(existsSync(join(dir, "broken.html"))).toBe(false);
  });
});
