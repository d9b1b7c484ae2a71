// The widgets labnote uses: IntProgress, FloatProgress, HTML and Output, each with the Layout and Style models
// ipywidgets 8 frontends expect to find referenced from its state.
import type { CommManager, JSONObject } from "../../kernel/types.js";
import type { WidgetState } from "./buffers.js";
import type { WidgetManager } from "./manager.js";
import { WidgetModel } from "./model.js";
import { BASE_MODULE, CONTROLS_MODULE, OUTPUT_MODULE, modelReference, widgetViewBundle, type ModelIdentity } from "./protocol.js";

const controls = (modelName: string, viewName: string): ModelIdentity => ({
  modelName,
  modelModule: CONTROLS_MODULE.module,
  modelModuleVersion: CONTROLS_MODULE.version,
  viewName,
  viewModule: CONTROLS_MODULE.module,
  viewModuleVersion: CONTROLS_MODULE.version,
});

const styleIdentity = (modelName: string): ModelIdentity => ({
  ...controls(modelName, "StyleView"),
  viewModule: BASE_MODULE.module,
  viewModuleVersion: BASE_MODULE.version,
});

const layoutIdentity: ModelIdentity = {
  modelName: "LayoutModel",
  modelModule: BASE_MODULE.module,
  modelModuleVersion: BASE_MODULE.version,
  viewName: "LayoutView",
  viewModule: BASE_MODULE.module,
  viewModuleVersion: BASE_MODULE.version,
};

const outputIdentity: ModelIdentity = {
  modelName: "OutputModel",
  modelModule: OUTPUT_MODULE.module,
  modelModuleVersion: OUTPUT_MODULE.version,
  viewName: "OutputView",
  viewModule: OUTPUT_MODULE.module,
  viewModuleVersion: OUTPUT_MODULE.version,
};

/** A displayed widget: its model, plus the bundle that shows it (with a text line for frontends without widgets). */
export interface Widget {
  readonly model: WidgetModel;
  /** display_data bundle: the widget view plus `text/plain`. */
  bundle(text?: string): Record<string, unknown>;
  close(): void;
}

function openWithLayout(manager: WidgetManager, identity: ModelIdentity, style: ModelIdentity | undefined, styleState: WidgetState, state: WidgetState): { model: WidgetModel; parts: WidgetModel[] } {
  const comms: CommManager = manager.comms;
  const layout = manager.track(WidgetModel.open(comms, layoutIdentity, {}));
  const parts = [layout];
  const refs: WidgetState = { layout: modelReference(layout.id) };
  if (style) {
    const styleModel = manager.track(WidgetModel.open(comms, style, { description_width: "", ...styleState }));
    parts.push(styleModel);
    refs.style = modelReference(styleModel.id);
  }
  const model = manager.track(WidgetModel.open(comms, identity, { _dom_classes: [], tabbable: null, tooltip: null, ...refs, ...state }));
  return { model, parts };
}

function asWidget(model: WidgetModel, parts: WidgetModel[], describe: () => string): Widget {
  return {
    model,
    bundle: (text) => widgetViewBundle(model.id, text ?? describe()),
    close() {
      model.close();
      for (const part of parts) part.close();
    },
  };
}

export interface ProgressWidgetOptions {
  value?: number;
  min?: number;
  max: number;
  description?: string;
  barStyle?: "" | "success" | "info" | "warning" | "danger";
}

function progressState(options: ProgressWidgetOptions): WidgetState {
  return {
    value: options.value ?? 0,
    min: options.min ?? 0,
    max: options.max,
    description: options.description ?? "",
    description_allow_html: false,
    bar_style: options.barStyle ?? "",
    orientation: "horizontal",
  };
}

export function intProgress(manager: WidgetManager, options: ProgressWidgetOptions): Widget {
  const state = progressState({ ...options, value: Math.round(options.value ?? 0), max: Math.round(options.max) });
  const { model, parts } = openWithLayout(manager, controls("IntProgressModel", "ProgressView"), styleIdentity("ProgressStyleModel"), { bar_color: null }, state);
  return asWidget(model, parts, () => `IntProgress(value=${String(model.get("value"))}, max=${String(model.get("max"))})`);
}

export function floatProgress(manager: WidgetManager, options: ProgressWidgetOptions): Widget {
  const { model, parts } = openWithLayout(manager, controls("FloatProgressModel", "ProgressView"), styleIdentity("ProgressStyleModel"), { bar_color: null }, progressState(options));
  return asWidget(model, parts, () => `FloatProgress(value=${String(model.get("value"))}, max=${String(model.get("max"))})`);
}

export function htmlWidget(manager: WidgetManager, options: { value: string; description?: string; placeholder?: string }): Widget {
  const state: WidgetState = { value: options.value, description: options.description ?? "", description_allow_html: false, placeholder: options.placeholder ?? "\u200b" };
  const style = { font_size: null, text_color: null, background: null };
  const { model, parts } = openWithLayout(manager, controls("HTMLModel", "HTMLView"), styleIdentity("HTMLStyleModel"), style, state);
  return asWidget(model, parts, () => String(model.get("value")));
}

/** An Output widget: outputs (nbformat output dicts) appended from the kernel, shown inside the widget. */
export interface OutputWidget extends Widget {
  append(output: JSONObject): void;
  clear(): void;
}

export function outputWidget(manager: WidgetManager): OutputWidget {
  const { model, parts } = openWithLayout(manager, outputIdentity, undefined, {}, { msg_id: "", outputs: [] });
  const outputs = (): JSONObject[] => (model.get("outputs") as JSONObject[] | undefined) ?? [];
  const widget = asWidget(model, parts, () => `Output(${outputs().length} outputs)`);
  return {
    ...widget,
    append(output) {
      model.set({ outputs: [...outputs(), output] });
    },
    clear() {
      model.set({ outputs: [] });
    },
  };
}
