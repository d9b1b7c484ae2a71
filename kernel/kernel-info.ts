// kernel_info_reply content. Versions are read from package.json files, never by importing TypeScript itself.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { PROTOCOL_VERSION, type KernelInfoReplyContent } from "./protocol/messages.js";

function packageVersion(path: string | URL): string {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as { version?: unknown };
    return typeof parsed.version === "string" ? parsed.version : "unknown";
  } catch {
    return "unknown";
  }
}

export function kernelInfo(): KernelInfoReplyContent {
  const require = createRequire(import.meta.url);
  const labnoteVersion = packageVersion(new URL("../../package.json", import.meta.url));
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
