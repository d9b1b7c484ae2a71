// kernel_info_reply content. Versions are read from package.json files, never by importing TypeScript itself.
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { PROTOCOL_VERSION, type KernelInfoReplyContent } from "./protocol/messages.js";

/** The labnote package root, found from this file whether it runs from dist/ or from the sources (tests). */
export function labnoteRoot(): string {
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; dirname(dir) !== dir; dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest) && packageName(manifest) === "labnote") return dir;
  }
  throw new Error(`Cannot find the labnote package above ${start}: reinstall labnote (npm ci).`);
}

function packageName(path: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(path, "utf8")) as { name?: string }).name;
  } catch {
    return undefined;
  }
}

function packageVersion(path: string): string {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { version?: unknown };
    return typeof parsed.version === "string" ? parsed.version : "unknown";
  } catch {
    return "unknown";
  }
}

export function kernelInfo(): KernelInfoReplyContent {
  const require = createRequire(import.meta.url);
  const labnoteVersion = packageVersion(join(labnoteRoot(), "package.json"));
  let typescriptVersion = "unknown";
  try {
    typescriptVersion = packageVersion(require.resolve("typescript/package.json"));
  } catch {
    // TypeScript missing: kernel_info still answers; executing cells will say what to install.
  }
  return {
    status: "ok",
    protocol_version: PROTOCOL_VERSION,
    implementation: "labnote",
    implementation_version: labnoteVersion,
    language_info: {
      name: "typescript",
      version: typescriptVersion,
      mimetype: "text/typescript",
      file_extension: ".ts",
      pygments_lexer: "typescript",
      codemirror_mode: "typescript",
      nbconvert_exporter: "script",
    },
    banner: `labnote ${labnoteVersion}: TypeScript ${typescriptVersion} on Node.js ${process.versions.node}. %lsmagic lists the magics; %name? shows help.`,
    help_links: [
      { text: "TypeScript handbook", url: "https://www.typescriptlang.org/docs/handbook/intro.html" },
      { text: "TensorFlow.js API", url: "https://js.tensorflow.org/api/latest/" },
      { text: "Vega-Lite", url: "https://vega.github.io/vega-lite/docs/" },
    ],
    debugger: false,
  };
}
