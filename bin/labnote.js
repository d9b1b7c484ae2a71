#!/usr/bin/env node
// Thin launcher: the CLI lives in the compiled kernel/cli.ts.
import("../dist/kernel/cli.js").then((m) => m.main(process.argv.slice(2))).catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
