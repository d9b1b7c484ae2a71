import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { installKernelspec, kernelJson, launcherPath, uninstallKernelspec } from "../../../kernel/kernelspec.js";
import { logoPng } from "../../../kernel/logo.js";

const REPO = resolve(import.meta.dirname, "..", "..", "..");

describe("kernelspec install / uninstall", () => {
  it("writes kernel.json with display name, language, interrupt_mode and an argv that runs this checkout", () => {
    const prefix = mkdtempSync(join(tmpdir(), "labnote-prefix-"));
    const directory = installKernelspec({ location: { kind: "prefix", prefix }, name: "labnote", displayName: "TypeScript (labnote)", interruptMode: "signal" });
    expect(directory).toBe(join(prefix, "share", "jupyter", "kernels", "labnote"));
    const spec = JSON.parse(readFileSync(join(directory, "kernel.json"), "utf8"));
    expect(spec).toMatchObject({ display_name: "TypeScript (labnote)", language: "typescript", interrupt_mode: "signal" });
    expect(spec.argv).toEqual([process.execPath, join(REPO, "bin", "labnote.js"), "kernel", "-f", "{connection_file}"]);
    expect(readFileSync(join(directory, "logo-64x64.png")).subarray(1, 4).toString()).toBe("PNG");
    expect(uninstallKernelspec({ kind: "prefix", prefix }, "labnote")).toBe(directory);
    expect(existsSync(directory)).toBe(false);
    expect(uninstallKernelspec({ kind: "prefix", prefix }, "labnote")).toBeUndefined();
  });

  it("installs a message-mode variant under another name", () => {
    expect(kernelJson({ name: "labnote-message", displayName: "x", interruptMode: "message" })).toMatchObject({ interrupt_mode: "message" });
    expect(launcherPath()).toBe(join(REPO, "bin", "labnote.js"));
  });

  it("draws a valid PNG logo of the requested size", () => {
    const png = logoPng(32);
    expect(png.readUInt32BE(16)).toBe(32);
    expect(png.readUInt32BE(20)).toBe(32);
  });
});

describe("labnote CLI (built)", () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(REPO, "bin", "labnote.js"), ...args], { encoding: "utf8", env: { ...process.env, JUPYTER_DATA_DIR: mkdtempSync(join(tmpdir(), "labnote-data-")) } });

  it("prints help, installs with --user into JUPYTER_DATA_DIR, and explains bad usage", () => {
    if (!existsSync(join(REPO, "dist", "kernel", "cli.js"))) execFileSync("npx", ["tsc", "-p", REPO], { stdio: "ignore" });
    expect(cli("--help").stdout).toMatch(/labnote install \[--user \| --sys-prefix \| --prefix PATH\]/);
    const installed = cli("install", "--user", "--interrupt-mode", "message");
    expect(installed.status).toBe(0);
    expect(installed.stdout).toMatch(/Installed kernelspec "labnote" .*interrupt_mode message/);
    const bad = cli("install", "--interrupt-mode", "sometimes");
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--interrupt-mode must be "signal" or "message"/);
    const noFile = cli("kernel");
    expect(noFile.status).toBe(2);
    expect(noFile.stderr).toMatch(/needs the connection file/);
  });
});
