// Builds the labnote ui page: type-checks ui/page (DOM code, its own tsconfig; esbuild does not type-check), then
// bundles ui/page/main.ts with esbuild into dist/ui/page/assets/app.js (one IIFE, so a saved HTML file can inline
// it), copies the stylesheet and writes index.html. `npm run build` and scripts/setup.sh run it after tsc.
//   node scripts/build-ui.mjs [--no-check] [--watch]
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(repo, "dist", "ui", "page");
const assets = join(out, "assets");
const args = new Set(process.argv.slice(2));

if (!args.has("--no-check")) {
  try {
    execFileSync(process.execPath, [join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", join(repo, "ui", "page", "tsconfig.json")], { stdio: "inherit" });
  } catch {
    console.error("build-ui: ui/page has type errors (above)");
    process.exit(1);
  }
}

mkdirSync(assets, { recursive: true });
const options = {
  entryPoints: [join(repo, "ui", "page", "main.ts")],
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["chrome110", "firefox110", "safari16"],
  minify: true,
  sourcemap: "linked",
  legalComments: "linked",
  outfile: join(assets, "app.js"),
  logLevel: "warning",
  metafile: true,
};

const indexHtml = `<!doctype html>
<html lang="en" data-ready="0">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>labnote</title>
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body></body>
</html>
`;

function writeStatic() {
  copyFileSync(join(repo, "ui", "page", "style.css"), join(assets, "app.css"));
  writeFileSync(join(out, "index.html"), indexHtml);
}

if (args.has("--watch")) {
  const context = await esbuild.context({ ...options, plugins: [{ name: "static", setup: (build) => build.onEnd(writeStatic) }] });
  await context.watch();
  console.log(`build-ui: watching; output in ${out}`);
} else {
  await esbuild.build(options);
  writeStatic();
  const kb = (file) => (statSync(join(assets, file)).size / 1024).toFixed(0);
  console.log(`build-ui: dist/ui/page/assets/app.js ${kb("app.js")} KB, app.css ${kb("app.css")} KB`);
}
