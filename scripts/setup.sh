#!/usr/bin/env bash
# Installs what labnote's tests and demo need on a fresh Debian/Ubuntu machine with Node 20 (run as root, like CI):
# Debian's Jupyter packages, PostgreSQL, Chromium and git when missing, then the npm packages, then the build.
set -euo pipefail
cd "$(dirname "$0")/.."

debian_packages=(python3-jupyter-client jupyter-console jupyter-nbconvert python3-nbclient jupyter-notebook
  python3-jupyter-kernel-test python3-optuna python3-sklearn postgresql chromium git xz-utils)
missing=()
/usr/bin/python3 -c "import jupyter_client, nbclient, nbconvert, jupyter_kernel_test, optuna, sklearn, notebook, jupyter_console" 2>/dev/null \
  || missing+=(python3-jupyter-client jupyter-console jupyter-nbconvert python3-nbclient jupyter-notebook python3-jupyter-kernel-test python3-optuna python3-sklearn)
[ -x /usr/bin/jupyter ] || missing+=(jupyter-nbconvert)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v git >/dev/null 2>&1 || missing+=(git)
command -v xz >/dev/null 2>&1 || missing+=(xz-utils)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${debian_packages[@]}" >/dev/null
fi

# XeLaTeX for `jupyter nbconvert --to pdf` (the export tests print a labnote notebook to PDF), without the
# recommended extras (~100 MB to download instead of ~500).
if ! command -v xelatex >/dev/null 2>&1; then
  echo "setup: installing Debian's XeLaTeX (texlive-xetex) for nbconvert --to pdf"
  export DEBIAN_FRONTEND=noninteractive
  [ ${#missing[@]} -gt 0 ] || apt-get update -qq
  apt-get install -y -qq --no-install-recommends texlive-xetex texlive-fonts-recommended texlive-plain-generic >/dev/null
fi

# npm packages: install when node_modules is absent or older than the lockfile.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
fi

echo "setup: building"
node node_modules/typescript/bin/tsc -p tsconfig.json  # not npx tsc: tslab ships its own older tsc bin
node scripts/build-ui.mjs  # the labnote ui page (esbuild bundle, type-checked with ui/page/tsconfig.json)
node scripts/build-export.mjs  # vega-embed as one script that labnote export inlines
