// Checks that labnote's chart bundle survives an nbconvert 7.x HTML export, from an nbconvert source tree (a git
// checkout or `git archive` of github.com/jupyter/nbconvert), run with Debian's /usr/bin/python3 and the Python
// packages it already has. Not part of the test suite and not run in CI: Debian ships nbconvert 6.5 only (that one is
// tested in test/clients/export.test.ts), so this is for someone who has fetched a 7.x source tree.
//
//   npm run build
//   git clone --depth 1 --branch v7.17.1 https://github.com/jupyter/nbconvert /tmp/nbconvert7
//   npx tsx scripts/check-nbconvert7.ts /tmp/nbconvert7 [--notebook NB.ipynb | --executed NB.ipynb] [--out DIR] [--screenshots DIR]
//
// What it does:
//  1. a Jupyter data dir holding the tree's share/templates; the template CSS that nbconvert's build downloads
//     (hatch_build.py) comes from npm (`npm pack` of the versions hatch_build.py names, or the nearest patch release
//     the registry has) and, for the classic template, from an installed nbconvert's classic/static/style.css or the CDN;
//  2. PYTHONPATH=SOURCE[:$EXTRA_PYTHONPATH]; a missing `mistune` (nbconvert 7 needs 2.x, Debian's nbconvert 6.5
//     vendors its own) is unpacked from Debian's python3-mistune .deb with `apt-get download` — nothing is installed;
//  3. executes a small notebook with a Vega-Lite chart (or --notebook) on the labnote kernel with Debian's nbclient,
//     in the notebook's folder (copy notebooks/quickstart.ipynb elsewhere first: it writes data/ and a store there;
//     it also reads data/penguins.json, from node_modules/vega-datasets/data/ when not there yet);
//  4. exports it with that nbconvert: --to html (lab), with --sanitize-html, --template classic, classic with
//     --sanitize-html, and --sanitize-html with Markdown outputs left out of the display priority (a workaround);
//  5. opens each HTML in Debian's Chromium with every non-file request refused and reports, for every output that
//     holds a chart: the images and inline SVGs shown (decoded size, what the <img> shows, pixels drawn), markup that
//     was escaped into visible text, and any request it tried to make. Exit code 1 when a chart is missing, broken,
//     shown twice or shown as text.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { CHART_CELL, launchChromium, openOffline, REPO } from "./demo-browser.js";

const PYTHON = "/usr/bin/python3";

interface Options {
  source: string;
  notebook?: string;
  executed?: string;
  out: string;
  screenshots?: string;
}

function parseArgs(argv: string[]): Options {
  const options: Partial<Options> = {};
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    const value = (): string => {
      const next = argv[++index];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return resolve(next);
    };
    if (arg === "--notebook") options.notebook = value();
    else if (arg === "--executed") options.executed = value();
    else if (arg === "--out") options.out = value();
    else if (arg === "--screenshots") options.screenshots = value();
    else if (arg === "--help" || arg === "-h") {
      console.log("npx tsx scripts/check-nbconvert7.ts NBCONVERT_SOURCE_DIR [--notebook NB.ipynb | --executed NB.ipynb] [--out DIR] [--screenshots DIR]");
      process.exit(0);
    } else if (arg.startsWith("--")) throw new Error(`unknown option ${arg}`);
    else options.source = resolve(arg);
  }
  if (!options.source) throw new Error("Which nbconvert source directory? (a checkout of github.com/jupyter/nbconvert)");
  return { out: join(REPO, "test-artifacts", "nbconvert7"), ...options } as Options;
}

function sh(command: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return execFileSync(command, args, { encoding: "utf8", maxBuffer: 256 * 1024 * 1024, stdio: ["ignore", "pipe", "pipe"], ...opts });
}

function nbconvertVersion(source: string): string {
  const file = join(source, "nbconvert", "_version.py");
  if (!existsSync(file)) throw new Error(`${source} is not an nbconvert source tree (no nbconvert/_version.py)`);
  return /__version__\s*=\s*"([^"]+)"/.exec(readFileSync(file, "utf8"))?.[1] ?? "unknown";
}

/** `npm pack` of a package version into dir (or, when the registry lacks it, of the newest release with the same major.minor). */
function npmPackFile(pkg: string, version: string, file: string, dir: string, log: string[]): string | undefined {
  mkdirSync(dir, { recursive: true });
  const tryPack = (spec: string): string | undefined => {
    try {
      const name = sh("npm", ["pack", spec, "--silent"], { cwd: dir }).trim().split("\n").pop()!;
      const unpack = join(dir, name.replace(/\.tgz$/, ""));
      mkdirSync(unpack, { recursive: true });
      sh("tar", ["-xzf", join(dir, name), "-C", unpack]);
      log.push(`${spec} (npm)`);
      return join(unpack, "package", file);
    } catch {
      return undefined;
    }
  };
  return tryPack(`${pkg}@${version}`) ?? tryPack(`${pkg}@~${version.split(".").slice(0, 2).join(".")}`);
}

/** A Jupyter data dir with nbconvert/templates from the source tree and the CSS nbconvert's build would download. */
function prepareTemplates(source: string, out: string, log: string[]): string {
  const share = join(out, "share");
  const templates = join(share, "nbconvert", "templates");
  rmSync(share, { recursive: true, force: true });
  mkdirSync(templates, { recursive: true });
  cpSync(join(source, "share", "templates"), templates, { recursive: true });
  const build = readFileSync(join(source, "hatch_build.py"), "utf8");
  const version = (name: string): string => /"([\d.]+)"/.exec(build.split("\n").find((line) => line.startsWith(`${name} =`)) ?? "")?.[1] ?? "4.0.2";
  const lab = join(templates, "lab", "static");
  mkdirSync(lab, { recursive: true });
  const wanted: Array<[string, string, string, string]> = [
    ["@jupyterlab/nbconvert-css", version("jupyterlab_css_version"), "style/index.css", "index.css"],
    ["@jupyterlab/theme-light-extension", version("jupyterlab_theme_light_version"), "style/variables.css", "theme-light.css"],
    ["@jupyterlab/theme-dark-extension", version("jupyterlab_theme_dark_version"), "style/variables.css", "theme-dark.css"],
  ];
  for (const [pkg, ver, file, target] of wanted) {
    if (existsSync(join(source, "share", "templates", "lab", "static", target))) continue;
    const got = npmPackFile(pkg, ver, file, join(out, "npm"), log);
    if (got && existsSync(got)) cpSync(got, join(lab, target));
    else {
      log.push(`${pkg}@${ver}: not available, lab/static/${target} left empty`);
      writeFileSync(join(lab, target), "");
    }
  }
  const classic = join(templates, "classic", "static");
  mkdirSync(classic, { recursive: true });
  if (!existsSync(join(classic, "style.css"))) {
    const installed = ["/usr/share/jupyter/nbconvert/templates/classic/static/style.css", "/usr/local/share/jupyter/nbconvert/templates/classic/static/style.css"].find(existsSync);
    if (installed) {
      cpSync(installed, join(classic, "style.css"));
      log.push(`classic/static/style.css from ${installed}`);
    } else {
      try {
        const cssVersion = /notebook_css_version = "([\d.]+)"/.exec(build)?.[1] ?? "5.4.0";
        sh("curl", ["-fsSL", "-o", join(classic, "style.css"), `https://cdn.jupyter.org/notebook/${cssVersion}/style/style.min.css`]);
        log.push(`classic/static/style.css from cdn.jupyter.org (notebook ${cssVersion})`);
      } catch {
        writeFileSync(join(classic, "style.css"), "");
        log.push("classic/static/style.css: not available, left empty");
      }
    }
  }
  return share;
}

/** PYTHONPATH for the source tree; unpacks Debian's python3-mistune when mistune is missing. */
function pythonPath(source: string, out: string, log: string[]): string {
  const paths = [source, ...(process.env.EXTRA_PYTHONPATH ? [process.env.EXTRA_PYTHONPATH] : [])];
  const missing = (): string[] => {
    const modules = ["bs4", "bleach", "tinycss2", "defusedxml", "jinja2", "jupyter_core", "jupyterlab_pygments", "markupsafe", "mistune", "nbformat", "packaging", "pandocfilters", "pygments", "traitlets"];
    const script = `import importlib\nfor m in ${JSON.stringify(modules)}:\n    try: importlib.import_module(m)\n    except Exception: print(m)`;
    return sh(PYTHON, ["-c", script], { env: { ...process.env, PYTHONPATH: paths.join(":") } }).split("\n").filter(Boolean);
  };
  let absent = missing();
  if (absent.includes("mistune") && existsSync("/usr/bin/apt-get")) {
    const dir = join(out, "deb");
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    try {
      sh("apt-get", ["download", "python3-mistune"], { cwd: dir });
      const deb = readdirSync(dir).find((name) => name.endsWith(".deb"))!;
      sh("dpkg", ["-x", join(dir, deb), join(dir, "root")]);
      paths.push(join(dir, "root", "usr", "lib", "python3", "dist-packages"));
      log.push(`mistune from Debian's ${deb} (unpacked, not installed)`);
    } catch (error) {
      log.push(`apt-get download python3-mistune failed: ${(error as Error).message.split("\n")[0]}`);
    }
    absent = missing();
  }
  if (absent.length > 0) throw new Error(`${PYTHON} lacks ${absent.join(", ")} for nbconvert ${nbconvertVersion(source)}: install them (Debian: python3-<name>) or put them on EXTRA_PYTHONPATH`);
  return paths.join(":");
}


/** Executes the notebook (default: one chart and a print) on the labnote kernel with Debian's nbclient. */
function executeNotebook(options: Options): string {
  if (options.executed) return options.executed;
  if (!existsSync(join(REPO, "dist", "kernel", "cli.js"))) throw new Error("dist/ is missing: run `npm run build` first");
  const prefix = join(options.out, "kernelspec");
  sh(process.execPath, [join(REPO, "bin", "labnote.js"), "install", "--prefix", prefix]);
  let source = options.notebook;
  if (!source) {
    source = join(options.out, "chart.ipynb");
    const cells = [CHART_CELL, 'console.log("trained");'].map((text, index) => ({ id: `cell-${index}`, cell_type: "code", source: text, outputs: [], execution_count: null, metadata: {} }));
    writeFileSync(source, JSON.stringify({ cells, metadata: { kernelspec: { name: "labnote", display_name: "TypeScript (labnote)", language: "typescript" } }, nbformat: 4, nbformat_minor: 5 }, null, 1));
  }
  const executed = join(options.out, "executed.ipynb");
  const script = [
    "import sys, nbformat, nbclient",
    "nb = nbformat.read(sys.argv[1], as_version=4)",
    "nbclient.NotebookClient(nb, kernel_name='labnote', timeout=600, resources={'metadata': {'path': sys.argv[3]}}).execute()",
    "nbformat.write(nb, sys.argv[2])",
  ].join("\n");
  const cwd = options.notebook ? resolve(options.notebook, "..") : options.out;
  // Debian's own nbclient, without the 7.x tree on the path.
  sh(PYTHON, ["-c", script, source, executed, cwd], { cwd, env: { ...process.env, JUPYTER_PATH: join(prefix, "share", "jupyter"), JUPYTER_PLATFORM_DIRS: "1", LABNOTE_AUTOSNAPSHOT: "off" } });
  return executed;
}

interface OutputFacts {
  cell: number;
  mime: string;
  images: Array<{ src: string; naturalWidth: number; shownWidth: number; shownHeight: number; inked: number }>;
  svgs: Array<{ marks: number; shownWidth: number }>;
  escapedMarkup: boolean;
  textLength: number;
}

const EXPORTS: Array<{ name: string; args: string[] }> = [
  { name: "lab", args: ["--to", "html"] },
  { name: "lab-sanitized", args: ["--to", "html", "--sanitize-html"] },
  { name: "classic", args: ["--to", "html", "--template", "classic"] },
  { name: "classic-sanitized", args: ["--to", "html", "--template", "classic", "--sanitize-html"] },
  // A workaround for 7.x's --sanitize-html (which escapes every Markdown output): the default order without Markdown.
  {
    name: "lab-sanitized-no-markdown",
    args: ["--to", "html", "--sanitize-html", `--NbConvertBase.display_data_priority=${JSON.stringify(["application/vnd.jupyter.widget-view+json", "application/javascript", "text/html", "image/svg+xml", "text/vnd.mermaid", "text/latex", "image/png", "image/jpeg", "text/plain"])}`],
  },
];

async function main(): Promise<void> {
  const options = parseArgs(process.argv.slice(2));
  mkdirSync(options.out, { recursive: true });
  const version = nbconvertVersion(options.source);
  const log: string[] = [];
  const share = prepareTemplates(options.source, options.out, log);
  const pypath = pythonPath(options.source, options.out, log);
  const env = { ...process.env, PYTHONPATH: pypath, JUPYTER_PATH: share, JUPYTER_PLATFORM_DIRS: "1" };
  const reported = sh(PYTHON, ["-m", "nbconvert", "--version"], { env }).trim();
  console.log(`nbconvert ${reported} from ${options.source} (_version.py: ${version}), ${PYTHON} ${sh(PYTHON, ["--version"]).trim()}`);
  for (const line of log) console.log(`  ${line}`);
  const executed = executeNotebook(options);
  const nb = JSON.parse(readFileSync(executed, "utf8")) as { cells: Array<{ cell_type: string; outputs?: Array<{ data?: Record<string, unknown> }> }> };
  // Charts per code cell (the exported page numbers code cells only): outputs with a Vega-Lite spec.
  const isChart = (output: { data?: Record<string, unknown> }): boolean => Object.keys(output.data ?? {}).some((mime) => /^application\/vnd\.vegalite\.v\d+\+json$/.test(mime));
  const chartsPerCell = new Map<number, number>();
  nb.cells.filter((cell) => cell.cell_type === "code").forEach((cell, index) => {
    const charts = (cell.outputs ?? []).filter(isChart).length;
    if (charts > 0) chartsPerCell.set(index, charts);
  });
  const chartCells = [...chartsPerCell.keys()];
  const totalCharts = [...chartsPerCell.values()].reduce((sum, count) => sum + count, 0);
  console.log(`executed ${executed}: ${totalCharts} chart(s) in code cells ${chartCells.join(", ")} (counted among code cells)`);

  const chromium = await launchChromium({ width: 1100, height: 900 });
  let failed = false;
  try {
    for (const variant of EXPORTS) {
      const html = join(options.out, `${variant.name}.html`);
      sh(PYTHON, ["-m", "nbconvert", ...variant.args, executed, "--output-dir", options.out, "--output", variant.name], { env });
      const { page, blocked } = await openOffline(chromium.browser, html);
      await page.waitForLoadState("load");
      const outputs: OutputFacts[] = await page.evaluate(async () => {
        const cells = Array.from(document.querySelectorAll(".jp-CodeCell, .code_cell"));
        const facts: OutputFacts[] = [];
        for (const [cellIndex, cell] of cells.entries()) {
          for (const output of Array.from(cell.querySelectorAll(".jp-OutputArea-output, .output_subarea"))) {
            const images = [];
            for (const img of Array.from(output.querySelectorAll("img"))) {
              await img.decode().catch(() => undefined);
              const box = img.getBoundingClientRect();
              let inked = 0;
              if (img.naturalWidth > 0) {
                const canvas = document.createElement("canvas");
                canvas.width = img.naturalWidth;
                canvas.height = img.naturalHeight;
                const context = canvas.getContext("2d")!;
                context.drawImage(img, 0, 0);
                const pixels = context.getImageData(0, 0, canvas.width, canvas.height).data;
                for (let index = 0; index < pixels.length; index += 4) if (pixels[index + 3]! > 0 && (pixels[index]! < 200 || pixels[index + 1]! < 200 || pixels[index + 2]! < 200)) inked++;
              }
              images.push({ src: img.currentSrc.slice(0, 22), naturalWidth: img.naturalWidth, shownWidth: Math.round(box.width), shownHeight: Math.round(box.height), inked });
            }
            const svgs = Array.from(output.querySelectorAll("svg")).map((svg) => ({ marks: svg.querySelectorAll("path, rect, circle, line, text").length, shownWidth: Math.round(svg.getBoundingClientRect().width) }));
            const text = output.textContent ?? "";
            facts.push({
              cell: cellIndex,
              mime: output.getAttribute("data-mime-type") ?? output.className,
              images,
              svgs,
              escapedMarkup: /<(picture|img|source|svg)\b|data:image\//.test(text),
              textLength: text.length,
            });
          }
        }
        return facts;
      });
      const problems: string[] = [];
      for (const cell of chartCells) {
        const mine = outputs.filter((output) => output.cell === cell);
        const drawn = mine.flatMap((output) => output.images.filter((image) => image.naturalWidth > 0 && image.shownWidth > 0 && image.inked > 500));
        const drawnSvgs = mine.flatMap((output) => output.svgs.filter((svg) => svg.marks > 3 && svg.shownWidth > 0));
        const expected = chartsPerCell.get(cell)!;
        const shown = drawn.length + drawnSvgs.length;
        if (shown < expected) problems.push(`code cell ${cell}: ${expected - shown} of ${expected} chart(s) not drawn`);
        if (shown > expected) problems.push(`code cell ${cell}: ${shown} drawn images for ${expected} chart(s) (shown twice?)`);
        if (mine.some((output) => output.images.some((image) => image.naturalWidth === 0))) problems.push(`code cell ${cell}: a broken <img> (did not decode)`);
        if (mine.some((output) => output.escapedMarkup)) problems.push(`code cell ${cell}: markup shown as text (${Math.max(...mine.map((output) => output.textLength))} characters)`);
        for (const output of mine) console.log(`  ${variant.name} code cell ${cell} ${output.mime}: ${JSON.stringify({ images: output.images, svgs: output.svgs, escapedMarkup: output.escapedMarkup, textLength: output.textLength })}`);
      }
      // The templates' own scripts (RequireJS, MathJax, jQuery, Mermaid from cdnjs) are nbconvert's, not the charts'.
      const templateScripts = /^https:\/\/cdnjs\.cloudflare\.com\/ajax\/libs\/(require\.js|mathjax|jquery|mermaid)\//;
      const ours = [...new Set(blocked)].filter((url) => !templateScripts.test(url));
      if (ours.length > 0) problems.push(`tried the network: ${ours.slice(0, 5).join(", ")}`);
      const theirs = [...new Set(blocked)].filter((url) => templateScripts.test(url));
      if (theirs.length > 0) console.log(`  ${variant.name}: blocked the template's own scripts: ${theirs.map((url) => url.replace(/^.*\/libs\//, "").replace(/\?.*$/, "")).join(", ")}`);
      if (options.screenshots && chartCells.length > 0) {
        mkdirSync(options.screenshots, { recursive: true });
        // The first chart cell's outputs, at most 900 × 420 CSS pixels of them.
        const target = page.locator(".jp-CodeCell, .code_cell").nth(chartCells[0]!).locator(".jp-OutputArea, .output").first();
        await target.evaluate((element) => element.scrollIntoView({ block: "start" }));
        const box = await target.boundingBox();
        const viewport = page.viewportSize()!;
        if (box) {
          const y = Math.max(0, box.y);
          await page.screenshot({ path: join(options.screenshots, `nbconvert7-${variant.name}.png`), clip: { x: Math.max(0, box.x), y, width: Math.min(box.width, 900), height: Math.min(box.height, 420, viewport.height - y) } });
        }
      }
      console.log(`${variant.name} (${variant.args.join(" ")}): ${problems.length === 0 ? "OK" : `PROBLEM: ${problems.join("; ")}`}`);
      if (problems.length > 0) failed = true;
      await page.close();
    }
  } finally {
    await chromium.close();
  }
  process.exitCode = failed ? 1 : 0;
}

main().catch((error: unknown) => {
  console.error((error as Error).message);
  process.exitCode = 2;
});
