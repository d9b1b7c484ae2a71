// On a machine without a GPU the kernel prints no Dawn/Vulkan warnings while it picks a backend (Dawn is probed in a
// child process whose stderr is captured), and %backend says why the webgpu rung was skipped. The kernel runs under
// jupyter_client with its stdout and stderr sent to a file (test/clients/py/backend_noise.py).
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ensureKernelspecs, freshProject, runPython } from "./kernel-wire-env.js";

const VULKAN_LOADER_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/lib/x86_64-linux-gnu"];
const hasVulkanLoader = VULKAN_LOADER_DIRS.some((dir) => existsSync(join(dir, "libvulkan.so.1")));

interface Observed {
  backend: { name: string; skipped: { name: string; why: string }[] } | null;
  total: string | null;
  kernel_output: string;
}

describe("backend selection on the kernel", () => {
  it("prints no Dawn or Vulkan warnings, and %backend says why webgpu was skipped", async () => {
    ensureKernelspecs();
    const project = freshProject("backend-noise");
    const { stdout } = await runPython("backend_noise.py", ["labnote", project, join(project, "kernel.log")], { cwd: project, timeoutMs: 280_000 });
    const observed = JSON.parse(stdout.trim().split("\n").at(-1)!) as Observed;
    expect(observed.total).toBe("6");
    expect(observed.backend).not.toBeNull();
    // With a GPU the webgpu rung loads Dawn in the kernel, and what Dawn says there is about a device in use.
    if (observed.backend!.name !== "webgpu") {
      expect(observed.kernel_output).not.toMatch(/vulkan|dawn/i);
      const webgpu = observed.backend!.skipped.find((skipped) => skipped.name.startsWith("webgpu"));
      expect(webgpu?.why).toMatch(/adapter|webgpu package/);
      if (!hasVulkanLoader) expect(webgpu?.why).toMatch(/Dawn could not load Vulkan \(Couldn't load Vulkan: libvulkan\.so\.1: cannot open shared object file/);
    }
  }, 300_000);
});
