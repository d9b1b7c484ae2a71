// Picks the fastest matmul route on this GPU at backend start: the large MLP's three product forms (plain, transposeA,
// transposeB) at 2048³ on each candidate route (labnote's tiled path, the 64×256 kernel with subgroups, without),
// a warm-up product and three timed pairs each (63 products of 2048³ for three routes: ~30 ms on an H100, ~1 s at
// 1 TFLOP/s). Nothing is guessed from the vendor.
import type * as tfTypes from "@tensorflow/tfjs";
import type { Tf } from "../backends/types.js";

export interface TimedRoute<R> {
  route: R;
  /** Seconds for one product of each form, summed; Infinity when the route failed. */
  seconds: number;
  error?: string;
}

const FORMS: readonly [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
];

/** Waits for all queued GPU work: reading one element submits the queue and waits for it (queues run in order). */
async function drain(tf: Tf, tensor: tfTypes.Tensor): Promise<void> {
  const one = tf.tidy(() => tensor.reshape([-1]).slice(0, 1));
  await one.data();
  one.dispose();
}

/** Times each route (applied with `apply`) on n×n·n×n products in the three forms; median of `repeats` per form. */
export async function timeMatmulRoutes<R>(tf: Tf, routes: readonly R[], apply: (route: R) => void, options: { size?: number; repeats?: number } = {}): Promise<TimedRoute<R>[]> {
  const size = options.size ?? 2048;
  const repeats = options.repeats ?? 3;
  const a = tf.randomUniform([size, size], -1, 1, "float32", 11) as tfTypes.Tensor2D;
  const b = tf.randomUniform([size, size], -1, 1, "float32", 12) as tfTypes.Tensor2D;
  const timed: TimedRoute<R>[] = [];
  try {
    for (const route of routes) {
      apply(route);
      try {
        let total = 0;
        for (const [transposeA, transposeB] of FORMS) {
          // Two products per sample, so the read-back that ends a sample weighs less against them.
          const once = async (count: number) => {
            const started = performance.now();
            let product: tfTypes.Tensor | undefined;
            for (let i = 0; i < count; i++) {
              product?.dispose();
              product = tf.matMul(a, b, transposeA, transposeB);
            }
            await drain(tf, product!);
            product!.dispose();
            return (performance.now() - started) / 1000 / count;
          };
          await once(1); // pipelines, buffers
          const samples: number[] = [];
          for (let i = 0; i < repeats; i++) samples.push(await once(2));
          samples.sort((x, y) => x - y);
          total += samples[Math.floor(samples.length / 2)]!;
        }
        timed.push({ route, seconds: total });
      } catch (error) {
        timed.push({ route, seconds: Number.POSITIVE_INFINITY, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    tf.dispose([a, b]);
  }
  return timed;
}

/** The fastest route that ran; ties keep the earlier (preferred) one. */
export function fastestRoute<R>(timed: readonly TimedRoute<R>[]): TimedRoute<R> | undefined {
  let best: TimedRoute<R> | undefined;
  for (const entry of timed) if (Number.isFinite(entry.seconds) && (!best || entry.seconds < best.seconds)) best = entry;
  return best;
}
