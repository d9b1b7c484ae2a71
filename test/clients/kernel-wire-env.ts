// Shared set-up for the kernel's real-client tests: both interrupt-mode kernelspecs and a fresh project directory.
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { ARTIFACTS, ensureKernelspec, kernelEnv, PYTHON, REPO_ROOT } from "../helpers/jupyter.js";

export const MESSAGE_MODE_KERNEL = "labnote-message";

/** Installs "labnote" (interrupt_mode signal) and "labnote-message" (interrupt_mode message) for the test clients. */
export function ensureKernelspecs(): void {
  ensureKernelspec();
  execFileSync(process.execPath, [join(REPO_ROOT, "bin", "labnote.js"), "install", "--prefix", join(ARTIFACTS, "jupyter"),
    "--name", MESSAGE_MODE_KERNEL, "--interrupt-mode", "message"], { stdio: "pipe" });
}

export function freshProject(name: string): string {
  mkdirSync(join(ARTIFACTS, "projects"), { recursive: true });
  return mkdtempSync(join(ARTIFACTS, "projects", `${name}-`));
}

/** Runs a python helper from test/clients/py; resolves with stdout, rejects with stderr's tail. */
export function runPython(script: string, args: string[], options: { cwd: string; timeoutMs: number; input?: string }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile(PYTHON, [join(REPO_ROOT, "test", "clients", "py", script), ...args],
      { cwd: options.cwd, env: kernelEnv(), timeout: options.timeoutMs, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => (error ? reject(new Error(`${script} failed: ${error.message}\n${stderr.slice(-3000)}\n${stdout.slice(-2000)}`)) : resolve({ stdout, stderr })));
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}
