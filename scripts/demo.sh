#!/usr/bin/env bash
# `npm run demo`: the main job. On a fresh Debian/Ubuntu machine with Node 20 it installs what it needs
# (scripts/setup.sh), installs the labnote kernelspec into a private Jupyter path, executes
# notebooks/quickstart.ipynb headlessly through real Jupyter (nbclient) in a scratch copy of the project,
# and writes reports/quickstart.html, in which every chart is an inline SVG, and reports/quickstart-interactive.html
# (labnote export: the charts interactive, no network). Prints the static report's path.
#   LABNOTE_DEMO_SKIP_SETUP=1   skip scripts/setup.sh (already set up and built)
#   LABNOTE_DEMO_OUT=DIR        where the report goes (default: reports/)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
started=$(date +%s)

if [ "${LABNOTE_DEMO_SKIP_SETUP:-0}" != "1" ]; then
  bash scripts/setup.sh
fi
[ -f dist/kernel/cli.js ] || { echo "demo: dist/ is missing; run npm run build (or drop LABNOTE_DEMO_SKIP_SETUP)" >&2; exit 1; }

out=${LABNOTE_DEMO_OUT:-$repo/reports}
mkdir -p "$out"
out=$(cd "$out" && pwd)
scratch=$(mktemp -d "${TMPDIR:-/tmp}/labnote-demo.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# A private kernelspec: the user's own Jupyter set-up is left alone.
node bin/labnote.js install --prefix "$scratch/jupyter" >/dev/null
export JUPYTER_PATH="$scratch/jupyter/share/jupyter"
export JUPYTER_PLATFORM_DIRS=1 PYDEVD_DISABLE_FILE_VALIDATION=1

# The scratch project: the notebook, the package manifest and lockfile (the environment %version records), and
# the installed packages; runs, studies and versions land here, not in the repository.
project="$scratch/project"
mkdir -p "$project"
cp notebooks/quickstart.ipynb package.json package-lock.json "$project/"
ln -s "$repo/node_modules" "$project/node_modules"

echo "demo: executing notebooks/quickstart.ipynb on the labnote kernel (headless, nbclient)"
executed="$out/quickstart.ipynb"
if ! /usr/bin/python3 scripts/demo-report.py execute "$project/quickstart.ipynb" "$executed" --cwd "$project" --timeout 600; then
  echo "demo: the quickstart failed; the executed notebook (with the error) is $executed" >&2
  exit 1
fi
/usr/bin/python3 scripts/demo-report.py render "$executed" "$out/quickstart.html"
# The same notebook as one self-contained page whose charts are interactive (vega-embed inlined, no network).
node bin/labnote.js export "$executed" --out "$out/quickstart-interactive.html"
echo "demo: finished in $(( $(date +%s) - started )) s"
echo "$out/quickstart.html"
