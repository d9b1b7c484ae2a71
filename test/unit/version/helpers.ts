// Shared fixtures for the %version unit tests: temp projects, the git CLI, and a small fake MagicContext.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OutputSink, SessionInfo } from "../../../kernel/types.js";
import type { Display, DisplayHandle, MagicContext, ParsedArgs } from "../../../magics/types.js";

export function tempProject(prefix = "labnote-version-"): { dir: string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function git(cwd: string, ...args: string[]): string {
  return execFileSync("git", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, GIT_AUTHOR_NAME: "user", GIT_AUTHOR_EMAIL: "user@example.com", GIT_COMMITTER_NAME: "user", GIT_COMMITTER_EMAIL: "user@example.com" } });
}

/** Runs `git fsck --full --strict` and returns its exit code with output (0 = clean). */
export function fsck(gitdirParent: string): { code: number; output: string } {
  try {
    const output = execFileSync("git", ["fsck", "--full", "--strict"], { cwd: gitdirParent, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return { code: 0, output };
  } catch (error) {
    const failure = error as { status: number; stdout: string; stderr: string };
    return { code: failure.status, output: `${failure.stdout}${failure.stderr}` };
  }
}

export interface FakeContext extends MagicContext {
  warnings: string[];
  displayed: unknown[];
}

export function fakeContext(session: Partial<SessionInfo> & { projectDir: string }): FakeContext {
  const warnings: string[] = [];
  const displayed: unknown[] = [];
  const handle = (): DisplayHandle => ({
    displayId: "d1",
    bundle: (data) => displayed.push(data),
    html: (html) => displayed.push(html),
    markdown: (md) => displayed.push(md),
    text: (text) => displayed.push(text),
    json: (value) => displayed.push(value),
    svg: (svg) => displayed.push(svg),
    vegaLite: async (spec) => void displayed.push(spec),
  });
  const display = Object.assign((value: unknown) => void displayed.push(value), {
    bundle: (data: unknown) => void displayed.push(data),
    html: (html: string) => void displayed.push(html),
    markdown: (md: string) => void displayed.push(md),
    svg: (svg: string) => void displayed.push(svg),
    png: () => undefined,
    jpeg: () => undefined,
    json: (value: unknown) => void displayed.push(value),
    text: (text: string) => void displayed.push(text),
    raw: (_mime: string, data: unknown) => void displayed.push(data),
    vegaLite: async (spec: object) => void displayed.push(spec),
    handle,
  }) as Display;
  const output: OutputSink = { stream: () => undefined, displayData: () => undefined, updateDisplayData: () => undefined, clearOutput: () => undefined };
  return {
    session: { notebookPath: undefined, kernelId: "k-test", executionCount: 1, cellCode: "", ...session },
    display,
    output,
    comms: { registerTarget: () => undefined, unregisterTarget: () => undefined, open: () => { throw new Error("no comms in tests"); }, list: () => [] },
    signal: new AbortController().signal,
    evaluate: async () => undefined,
    execute: async () => undefined,
    compileFunction: async () => async () => undefined,
    page: () => undefined,
    warn: (message) => void warnings.push(message),
    warnings,
    displayed,
  };
}

export function args(options: ParsedArgs["options"] = {}, positionals: ParsedArgs["positionals"] = {}): ParsedArgs {
  return { options, positionals, rest: "", body: "" };
}
