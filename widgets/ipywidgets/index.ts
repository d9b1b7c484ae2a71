// ipywidgets protocol 2.1 over Jupyter comms: models, the manager, and the widgets labnote displays.
export { WidgetModel } from "./model.js";
export { WidgetManager, installWidgetManager, currentWidgetManager, widgetManagerFor, widgetsModeFromEnv } from "./manager.js";
export type { WidgetsMode } from "./manager.js";
export { intProgress, floatProgress, htmlWidget, outputWidget } from "./controls.js";
export type { Widget, OutputWidget, ProgressWidgetOptions } from "./controls.js";
export { removeBuffers, putBuffers } from "./buffers.js";
export type { WidgetState, StateValue, BufferPath } from "./buffers.js";
export * from "./protocol.js";
