// A progress bar for long work (training epochs, tune trials, data hashing). When the frontend has a widget
// manager (see ipywidgets/manager.ts for the rule) it is an ipywidgets IntProgress updated over its comm;
// otherwise an HTML <progress> element plus a text line, updated in place. Updates are throttled so a tight
// loop does not flood iopub; the final update is always sent.
import type { CommManager } from "../kernel/types.js";
import type { Display } from "../magics/types.js";
import { intProgress } from "./ipywidgets/controls.js";
import { currentWidgetManager, widgetManagerFor, type WidgetManager } from "./ipywidgets/manager.js";

export interface ProgressOptions {
  total: number;
  description: string;
  /** Minimum milliseconds between two updates on the wire (the final update is always sent). */
  throttleMs?: number;
  /** The kernel's comms (MagicContext.comms); without it the kernel's installed widget manager is used, if any. */
  comms?: CommManager;
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

function progressHtml(value: number, total: number, description: string): string {
  return `<div class="labnote-progress"><span>${escapeHtml(description)}</span> <progress value="${value}" max="${total}"></progress> <span>${value}/${total}</span></div>`;
}

function widgetManagerFrom(options: ProgressOptions): WidgetManager | undefined {
  const manager = options.comms ? widgetManagerFor(options.comms) : currentWidgetManager();
  return manager?.frontendHasWidgetManager ? manager : undefined;
}

export function createProgress(display: Display, options: ProgressOptions): ProgressBar {
  const handle = display.handle();
  const throttleMs = options.throttleMs ?? 250;
  const total = options.total;
  let description = options.description;
  let lastSent = 0;
  const manager = widgetManagerFrom(options);
  const widget = manager ? intProgress(manager, { max: total, description }) : undefined;

  const render = (value: number, final = false): void => {
    const text = textProgressLine(value, total, description);
    if (widget) {
      widget.model.set({ value: Math.round(value), description, ...(final ? { bar_style: "success" } : {}) });
      // The text line is what a saved notebook shows where no widget manager renders the view.
      if (final) handle.bundle(widget.bundle(text));
      return;
    }
    handle.bundle({ "text/plain": text, "text/html": progressHtml(value, total, description) });
  };
  if (widget) handle.bundle(widget.bundle(textProgressLine(0, total, description)));
  else render(0);
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
      render(total, true);
    },
  };
}
