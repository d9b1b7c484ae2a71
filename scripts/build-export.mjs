// Builds dist/export/vega-embed.js: vega, vega-lite and vega-embed as one minified IIFE that sets window.vegaEmbed.
// `labnote export` inlines it into the HTML it writes, so the charts are interactive with no network.
// `npm run build` and scripts/setup.sh run it after tsc.
import { mkdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const outfile = join(repo, "dist", "export", "vega-embed.js");
mkdirSync(dirname(outfile), { recursive: true });
await esbuild.build({
  stdin: { contents: 'import embed from "vega-embed";\nwindow.vegaEmbed = embed;\n', resolveDir: repo, loader: "js" },
  bundle: true,
  format: "iife",
  platform: "browser",
  target: ["chrome110", "firefox110", "safari16"],
  minify: true,
  legalComments: "eof", // vega's BSD licence notices travel with the inlined code
  outfile,
  logLevel: "warning",
});
console.log(`build-export: dist/export/vega-embed.js ${(statSync(outfile).size / 1024).toFixed(0)} KB`);
