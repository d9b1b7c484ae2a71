// Asks Dawn for a WebGPU adapter in a child process first. Dawn writes its warnings ("Couldn't load Vulkan:
// libvulkan.so.1 …") straight to file descriptor 2, below Node, where the kernel cannot route or hide them; in a
// child that stderr is captured and becomes the reason %backend gives for skipping the rung. Only when the child
// finds a hardware adapter is Dawn loaded into this process.
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";

export interface ProbedAdapter {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

export type WebGpuProbe = { ok: true; adapter: ProbedAdapter } | { ok: false; reason: string };

const PROBE_TIMEOUT_MS = 20_000;

/** Runs in the child: load Dawn, ask for an adapter, print its info as JSON on stdout. */
const CHILD_SOURCE = `
const dawn = await import(process.env.LABNOTE_DAWN_MODULE);
const gpu = dawn.create((process.env.LABNOTE_DAWN_FLAGS ?? "").split(/\\s+/).filter(Boolean));
const adapter = await gpu.requestAdapter({ powerPreference: "high-performance" });
const info = adapter ? (adapter.info ?? {}) : undefined;
const described = info && {
  vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
  isFallbackAdapter: Boolean(adapter.isFallbackAdapter ?? info.isFallbackAdapter),
};
process.stdout.write(JSON.stringify({ adapter: described ?? null }) + "\\n");
process.exit(0);
`;

/** Dawn's own words, shortened: its warning lines without the C++ source locations under them. */
export function dawnMessages(stderr: string): string {
  return stderr
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("at "))
    .map((line) => line.replace(/^Warning:\s*/, ""))
    .join("; ");
}

/** Why there is no adapter, in words a user can act on, from what Dawn printed. */
export function noAdapterReason(stderr: string): string {
  const said = dawnMessages(stderr);
  if (/libvulkan\.so/.test(said)) {
    return `no WebGPU adapter: Dawn could not load Vulkan (${said}); on a GPU machine install libvulkan1 and the vendor's Vulkan driver (ICD)`;
  }
  const base = "no WebGPU adapter (no GPU, or no Vulkan driver: libvulkan1 and the vendor's ICD)";
  return said ? `${base}; Dawn said: ${said}` : base;
}

/** Probes for a WebGPU adapter in a child process with its stderr captured. Never throws. */
export function probeWebGpuAdapter(): Promise<WebGpuProbe> {
  let moduleUrl: string;
  try {
    moduleUrl = pathToFileURL(createRequire(import.meta.url).resolve("webgpu")).href;
  } catch (error) {
    return Promise.resolve({ ok: false, reason: `the webgpu package (Dawn) is not installed (${error instanceof Error ? error.message.split("\n")[0] : String(error)})` });
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ["--input-type=module", "-e", CHILD_SOURCE],
      { env: { ...process.env, LABNOTE_DAWN_MODULE: moduleUrl }, timeout: PROBE_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        const line = stdout.split("\n").find((text) => text.startsWith("{"));
        if (line) {
          try {
            const { adapter } = JSON.parse(line) as { adapter: ProbedAdapter | null };
            resolve(adapter ? { ok: true, adapter } : { ok: false, reason: noAdapterReason(stderr) });
            return;
          } catch {
            // fall through: report what the child said
          }
        }
        const why = error?.killed ? `did not answer within ${PROBE_TIMEOUT_MS / 1000} s` : dawnMessages(stderr) || error?.message || "no answer";
        resolve({ ok: false, reason: `the webgpu package (Dawn) failed in a probe process: ${why}` });
      },
    );
  });
}
