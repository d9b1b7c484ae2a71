// System metrics sampled in the background while a run is live: CPU %, RSS, JS heap, event-loop lag, tensors
// alive (only if tfjs is already loaded — never load it for this) and GPU utilisation/memory via nvidia-smi.
import { monitorEventLoopDelay } from "node:perf_hooks";
import { execFile } from "node:child_process";

export type SystemSample = Record<string, number>;

/** Tensors alive, read from tfjs's global engine if some code already loaded tfjs. */
export function tensorsAlive(): number | undefined {
  const engine = (globalThis as { _tfengine?: { memory(): { numTensors: number } } })._tfengine;
  if (!engine) return undefined;
  try {
    return engine.memory().numTensors;
  } catch {
    return undefined;
  }
}

let nvidiaSmiMissing = false;
function gpuSample(): Promise<SystemSample> {
  if (nvidiaSmiMissing) return Promise.resolve({});
  return new Promise((resolve) => {
    execFile("nvidia-smi", ["--query-gpu=utilization.gpu,memory.used", "--format=csv,noheader,nounits"], { timeout: 1500 }, (error, stdout) => {
      if (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") nvidiaSmiMissing = true;
        resolve({});
        return;
      }
      const [util, memory] = stdout.split("\n")[0].split(",").map((part) => Number(part.trim()));
      resolve(Number.isFinite(util) ? { gpu_util_percent: util, gpu_memory_mb: memory } : {});
    });
  });
}

export class SystemSampler {
  private timer: NodeJS.Timeout | undefined;
  private readonly loopDelay = monitorEventLoopDelay({ resolution: 20 });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  /** GPU readings spawn nvidia-smi: at most one per this interval, whatever the host metrics' interval. */
  private static readonly GPU_INTERVAL_MS = 2000;
  private lastGpuAt = -Infinity;

  constructor(private readonly onSample: (sample: SystemSample) => void, private readonly intervalMs: number) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.loopDelay.enable();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  /**
   * Stops sampling; `finalReading` first records one last host reading (synchronously, no GPU), so even a run shorter
   * than the interval has its system metrics, and a longer one's curves reach its end.
   */
  stop(finalReading = false): void {
    if (finalReading && this.timer) this.onSample(this.hostSample());
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.loopDelay.disable();
  }

  /**
   * A reading when the timer has been starved for 1.5 intervals: a training loop whose awaits resolve as microtasks
   * (wasm's tensor.data()) never lets a timer run, so without this a run's system metrics would have no point until it
   * ends. Called from the run's periodic work, which runs from log calls.
   */
  catchUp(now: number = performance.now()): void {
    if (!this.timer || now - this.lastAt < 1.5 * this.intervalMs) return;
    // The host reading at once; nvidia-smi's answer lands whenever the loop next yields.
    this.onSample(this.hostSample());
    if (now - this.lastGpuAt >= SystemSampler.GPU_INTERVAL_MS) {
      this.lastGpuAt = now;
      void gpuSample().then((gpu) => {
        if (Object.keys(gpu).length > 0) this.onSample(gpu);
      });
    }
  }

  /** One reading now (also used by tests). */
  async sample(): Promise<SystemSample> {
    const sample = this.hostSample();
    const now = performance.now();
    if (now - this.lastGpuAt >= SystemSampler.GPU_INTERVAL_MS) {
      this.lastGpuAt = now;
      Object.assign(sample, await gpuSample());
    }
    this.onSample(sample);
    return sample;
  }

  /** CPU %, memory, event-loop lag and tensors alive since the previous reading (synchronous). */
  private hostSample(): SystemSample {
    const now = performance.now();
    const cpu = process.cpuUsage(this.lastCpu);
    const elapsedMs = Math.max(now - this.lastAt, 1);
    this.lastCpu = process.cpuUsage();
    this.lastAt = now;
    const memory = process.memoryUsage();
    const sample: SystemSample = {
      cpu_percent: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
      rss_mb: memory.rss / 2 ** 20,
      heap_mb: memory.heapUsed / 2 ** 20,
      event_loop_lag_ms: Number.isFinite(this.loopDelay.mean) ? this.loopDelay.mean / 1e6 : 0,
    };
    this.loopDelay.reset();
    const tensors = tensorsAlive();
    if (tensors !== undefined) sample.tensors = tensors;
    return sample;
  }
}
