// The ipywidgets message protocol, version 2.1 (ipywidgets 8, jupyterlab_widgets 3): comm targets, versions and
// the shapes of the messages the kernel sends. https://github.com/jupyter-widgets/ipywidgets/blob/main/packages/schema/messages.md
export const PROTOCOL_VERSION = "2.1.0";
export const WIDGET_TARGET = "jupyter.widget";
export const CONTROL_TARGET = "jupyter.widget.control";
export const WIDGET_VIEW_MIME = "application/vnd.jupyter.widget-view+json";

/** The model modules of ipywidgets 8, whose frontends speak protocol 2.1. */
export const BASE_MODULE = { module: "@jupyter-widgets/base", version: "2.0.0" } as const;
export const CONTROLS_MODULE = { module: "@jupyter-widgets/controls", version: "2.0.0" } as const;
export const OUTPUT_MODULE = { module: "@jupyter-widgets/output", version: "1.0.0" } as const;

export interface ModelIdentity {
  modelName: string;
  modelModule: string;
  modelModuleVersion: string;
  viewName: string | null;
  viewModule: string;
  viewModuleVersion: string;
}

/** Methods a frontend may send on a widget comm. */
export type FrontendWidgetMethod = "update" | "request_state" | "custom";

/** The display_data bundle that shows a widget (text/plain is what frontends without widgets show). */
export function widgetViewBundle(modelId: string, text: string): Record<string, unknown> {
  return { [WIDGET_VIEW_MIME]: { version_major: 2, version_minor: 1, model_id: modelId }, "text/plain": text };
}

/** `IPY_MODEL_<id>`: how one widget's state refers to another (layout, style). */
export function modelReference(modelId: string): string {
  return `IPY_MODEL_${modelId}`;
}
