#!/usr/bin/env bash
# `npm test`: set up everything the tests need (Debian's Jupyter, PostgreSQL, Chromium; npm packages; the build),
# start a throwaway PostgreSQL cluster on 127.0.0.1, run the whole suite, and print one closing line.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
mkdir -p test-artifacts

pg_env=$(bash scripts/pg.sh start)
eval "$pg_env"
export LABNOTE_TEST_PG
trap 'bash scripts/pg.sh stop >/dev/null 2>&1 || true' EXIT

status=0
npx vitest run --reporter=default --reporter=json --outputFile=test-artifacts/vitest.json "$@" || status=$?
node -e '
  const r = JSON.parse(require("fs").readFileSync("test-artifacts/vitest.json", "utf8"));
  const skipped = r.numPendingTests + r.numTodoTests;
  console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' || true
exit $status
