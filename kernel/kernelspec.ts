// Installing and removing the "labnote" kernelspec in the places Jupyter looks (jupyter_core's path rules).
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { labnoteRoot } from "./kernel-info.js";
import { logoPng } from "./logo.js";

export type InstallLocation = { kind: "user" } | { kind: "sys-prefix" } | { kind: "prefix"; prefix: string };

export interface KernelspecOptions {
  location: InstallLocation;
  name: string;
  displayName: string;
  interruptMode: "signal" | "message";
}

export const DEFAULT_KERNELSPEC: Omit<KernelspecOptions, "location"> = {
  name: "labnote",
  displayName: "TypeScript (labnote)",
  interruptMode: "signal",
};

function userDataDir(): string {
  if (process.env.JUPYTER_DATA_DIR) return process.env.JUPYTER_DATA_DIR;
  if (process.platform === "darwin") return join(homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return join(process.env.APPDATA ?? homedir(), "jupyter");
  return join(process.env.XDG_DATA_HOME || join(homedir(), ".local", "share"), "jupyter");
}

function pythonSysPrefix(): string {
  const candidates = [process.env.LABNOTE_PYTHON, "python3", "/usr/bin/python3", "python"].filter((name): name is string => !!name);
  for (const python of candidates) {
    try {
      return execFileSync(python, ["-c", "import sys; print(sys.prefix)"], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      // try the next interpreter
    }
  }
  throw new Error("--sys-prefix needs Python to find sys.prefix, and none ran: set LABNOTE_PYTHON=/path/to/python or use --prefix PATH.");
}

export function kernelsDir(location: InstallLocation): string {
  switch (location.kind) {
    case "user":
      return join(userDataDir(), "kernels");
    case "sys-prefix":
      return join(pythonSysPrefix(), "share", "jupyter", "kernels");
    case "prefix":
      return join(resolve(location.prefix), "share", "jupyter", "kernels");
  }
}

/** The launcher of this installation: <package root>/bin/labnote.js. */
export function launcherPath(): string {
  return join(labnoteRoot(), "bin", "labnote.js");
}

export function kernelJson(options: Omit<KernelspecOptions, "location">): Record<string, unknown> {
  return {
    // The absolute node path: Jupyter started from a desktop launcher often lacks node on PATH.
    argv: [process.execPath, launcherPath(), "kernel", "-f", "{connection_file}"],
    display_name: options.displayName,
    language: "typescript",
    interrupt_mode: options.interruptMode,
    metadata: { debugger: false },
  };
}

export function installKernelspec(options: KernelspecOptions): string {
  const directory = join(kernelsDir(options.location), options.name);
  mkdirSync(directory, { recursive: true });
  writeAtomically(join(directory, "kernel.json"), `${JSON.stringify(kernelJson(options), null, 2)}\n`);
  writeAtomically(join(directory, "logo-64x64.png"), logoPng(64));
  writeAtomically(join(directory, "logo-32x32.png"), logoPng(32));
  return directory;
}

/** A Jupyter client reading the kernelspec while it is being (re)installed never sees half a file. */
function writeAtomically(path: string, content: string | Buffer): void {
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, content);
  renameSync(temporary, path);
}

/** Removes the kernelspec; returns the directory removed, or undefined when it was not installed there. */
export function uninstallKernelspec(location: InstallLocation, name: string): string | undefined {
  const directory = join(kernelsDir(location), name);
  if (!existsSync(directory)) return undefined;
  rmSync(directory, { recursive: true, force: true });
  return directory;
}
