// Keeps the server's memory near its live set: after a burst of requests (and after loading the run index) a full
// garbage collection runs once the server has been idle for a moment. V8 otherwise lets garbage grow in proportion
// to the live heap (the 100,000-run index) before collecting, which pushed the peak RSS past 250 MB in bench:ui.
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import type { FastifyInstance } from "fastify";

const IDLE_MS = 300;
/** Garbage allowed above the live heap before a collection runs even while requests keep coming. */
const GARBAGE_ALLOWANCE_BYTES = 48 * 1024 * 1024;

/** The engine's gc() (exposed for this process only), or undefined where V8 refuses. */
function exposeGc(): (() => void) | undefined {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as unknown;
    return typeof gc === "function" ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  }
}

export function collectWhenIdle(app: FastifyInstance): { collectNow(): void } {
  const gc = exposeGc();
  let active = 0;
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  let liveAfterLastCollection = 0;
  const collectFully = (): void => {
    dirty = false;
    gc!();
    liveAfterLastCollection = getHeapStatistics().used_heap_size;
  };
  const collect = (): void => {
    timer = undefined;
    if (active > 0 || !dirty || !gc) return;
    collectFully();
  };
  // The live stream is hijacked and lasts as long as the page stays open: it never counts as a request in flight.
  const counted = (url: string): boolean => !url.startsWith("/api/live");
  app.addHook("onRequest", async (request) => {
    if (!counted(request.url)) return;
    active++;
    dirty = true;
    if (timer) clearTimeout(timer);
    timer = undefined;
  });
  app.addHook("onResponse", async (request) => {
    if (!counted(request.url)) return;
    active = Math.max(0, active - 1);
    if (gc && getHeapStatistics().used_heap_size > liveAfterLastCollection + GARBAGE_ALLOWANCE_BYTES) {
      collectFully(); // a burst with no idle moment (twenty curves, then twenty more) still stays near the live set
      return;
    }
    if (active === 0 && !timer) timer = setTimeout(collect, IDLE_MS).unref();
  });
  return {
    collectNow: () => {
      dirty = true;
      collect();
    },
  };
}
