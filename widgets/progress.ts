// A progress bar for long work (training epochs, tune trials, data hashing). This version renders an HTML
// <progress> element plus a text line, updated in place; widgets/ may upgrade it to an ipywidgets IntProgress
// when the frontend has a widget manager. Updates are throttled so a tight loop does not flood iopub.
import type { Display } from "../magics/types.js";

export interface ProgressOptions {
  total: number;
  description: string;
  /** Minimum milliseconds between two updates on the wire (the final update is always sent). */
  throttleMs?: number;
}

export interface ProgressBar {
  update(value: number, description?: string): void;
  done(description?: string): void;
}

export function textProgressLine(value: number, total: number, description: string, width = 30): string {
  const fraction = total > 0 ? Math.min(1, Math.max(0, value / total)) : 0;
  const filled = Math.round(fraction * width);
  return `${description} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${value}/${total} (${Math.round(fraction * 100)}%)`;
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function createProgress(display: Display, options: ProgressOptions): ProgressBar {
  const handle = display.handle();
  const throttleMs = options.throttleMs ?? 250;
  let description = options.description;
  let lastSent = 0;
  const render = (value: number): void => {
    const text = textProgressLine(value, options.total, description);
    handle.bundle({
      "text/plain": text,
      "text/html": `<div class="labnote-progress"><span>${escapeHtml(description)}</span> <progress value="${value}" max="${options.total}"></progress> <span>${value}/${options.total}</span></div>`,
    });
  };
  render(0);
  return {
    update(value, newDescription) {
      if (newDescription !== undefined) description = newDescription;
      const now = Date.now();
      if (now - lastSent < throttleMs) return;
      lastSent = now;
      render(value);
    },
    done(finalDescription) {
      if (finalDescription !== undefined) description = finalDescription;
      render(options.total);
    },
  };
}
