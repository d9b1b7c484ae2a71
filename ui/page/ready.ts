// The page tells scripts (tests, bench:ui) when it has finished drawing: <html data-ready="0"> while anything
// loads, "1" once every load has finished; window.__labnoteDrawMs holds the last chart draw time.
declare global {
  interface Window {
    __labnoteDrawMs?: number;
  }
}

let pending = 0;

/** Marks one load as started; call the returned function (once) when it has finished, drawn or failed. */
export function beginLoad(): () => void {
  pending += 1;
  document.documentElement.dataset.ready = "0";
  let finished = false;
  return () => {
    if (finished) return;
    finished = true;
    pending -= 1;
    if (pending === 0) document.documentElement.dataset.ready = "1";
  };
}

export function recordDrawMs(ms: number): void {
  window.__labnoteDrawMs = Math.round(ms * 10) / 10;
}
