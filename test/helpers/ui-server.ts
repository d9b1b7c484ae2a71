// Starts `labnote ui` as a child process (the way a user does: node bin/labnote.js ui …), waits for the one line
// with the URL it prints, and stops it. Used by the dashboard's browser tests.
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { REPO_ROOT } from "./jupyter.js";

export interface UiServer {
  /** The URL the server printed (may carry ?token=…). */
  url: string;
  /** The origin (http://host:port) without path or token. */
  origin: string;
  log(): string;
  stop(): Promise<void>;
}

export async function startUiServer(args: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 60_000): Promise<UiServer> {
  const child: ChildProcess = spawn(process.execPath, [join(REPO_ROOT, "bin", "labnote.js"), "ui", ...args], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`labnote ui printed no URL within ${timeoutMs} ms:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const found = /https?:\/\/[^\s"'<>]+/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolveUrl(found[0].replace(/[.,)]+$/, ""));
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`labnote ui exited (${code}) before printing its URL:\n${output}`));
    });
  });
  return {
    url,
    origin: new URL(url).origin,
    log: () => output,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once("exit", done));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
