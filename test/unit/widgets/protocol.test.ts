import { describe, expect, it } from "vitest";
import { floatProgress, htmlWidget, intProgress, outputWidget, putBuffers, removeBuffers, WidgetManager, WidgetModel } from "../../../widgets/ipywidgets/index.js";
import { FakeCommManager } from "./fake-comms.js";

const identity = {
  modelName: "IntProgressModel",
  modelModule: "@jupyter-widgets/controls",
  modelModuleVersion: "2.0.0",
  viewName: "ProgressView",
  viewModule: "@jupyter-widgets/controls",
  viewModuleVersion: "2.0.0",
};

describe("binary buffers", () => {
  it("splits binary values out of the state and puts them back at the same paths", () => {
    const bytes = new Uint8Array([1, 2, 3]);
    const floats = new Float32Array([0.5, 1.5]);
    const { state, bufferPaths, buffers } = removeBuffers({ value: 3, image: bytes, nested: { list: [1, floats] } });
    expect(state).toEqual({ value: 3, nested: { list: [1, null] } });
    expect(bufferPaths).toEqual([["image"], ["nested", "list", 1]]);
    expect(buffers[0]).toEqual(bytes);
    expect(new Float32Array(buffers[1]!.buffer, buffers[1]!.byteOffset, 2)).toEqual(floats);
    const restored = putBuffers(state, bufferPaths, buffers);
    expect(restored.image).toEqual(bytes);
    expect(((restored.nested as { list: unknown[] }).list)[1]).toBe(buffers[1]);
  });
});

describe("widget models (protocol 2.1)", () => {
  it("opens a comm on jupyter.widget with {state, buffer_paths} and metadata {version: 2.1.0}", () => {
    const comms = new FakeCommManager();
    const model = WidgetModel.open(comms, identity, { value: 0, max: 10, data: new Uint8Array([9, 8]) });
    const [open] = comms.sent;
    expect(open).toMatchObject({ type: "comm_open", targetName: "jupyter.widget", metadata: { version: "2.1.0" } });
    expect(open!.commId).toBe(model.id);
    expect(open!.data).toEqual({
      state: {
        _model_name: "IntProgressModel",
        _model_module: "@jupyter-widgets/controls",
        _model_module_version: "2.0.0",
        _view_name: "ProgressView",
        _view_module: "@jupyter-widgets/controls",
        _view_module_version: "2.0.0",
        value: 0,
        max: 10,
      },
      buffer_paths: [["data"]],
    });
    expect(open!.buffers).toEqual([new Uint8Array([9, 8])]);
  });

  it("sends only the changed keys as an update, and nothing when nothing changed", () => {
    const comms = new FakeCommManager();
    const model = WidgetModel.open(comms, identity, { value: 0, max: 10 });
    model.set({ value: 4, max: 10 });
    model.set({ value: 4 });
    const updates = comms.messagesOn(model.id).filter((m) => m.type === "comm_msg");
    expect(updates).toHaveLength(1);
    expect(updates[0]!.data).toEqual({ method: "update", state: { value: 4 }, buffer_paths: [] });
  });

  it("applies a frontend update, echoes it with echo_update, and tells listeners", () => {
    const comms = new FakeCommManager();
    const model = WidgetModel.open(comms, identity, { value: 0, max: 10 });
    const seen: unknown[] = [];
    model.onChange((changed, origin) => seen.push([changed, origin]));
    comms.frontendSends(model.id, { method: "update", state: { value: 7, blob: null }, buffer_paths: [["blob"]] }, [new Uint8Array([5])]);
    expect(model.get("value")).toBe(7);
    expect(model.get("blob")).toEqual(new Uint8Array([5]));
    const echo = comms.messagesOn(model.id).at(-1)!;
    expect(echo.data).toEqual({ method: "echo_update", state: { value: 7 }, buffer_paths: [["blob"]] });
    expect(echo.buffers).toEqual([new Uint8Array([5])]);
    expect(seen).toEqual([[{ value: 7, blob: new Uint8Array([5]) }, "frontend"]]);
  });

  it("answers request_state with the full state as an update", () => {
    const comms = new FakeCommManager();
    const model = WidgetModel.open(comms, identity, { value: 2, max: 10 });
    comms.frontendSends(model.id, { method: "request_state" });
    const reply = comms.messagesOn(model.id).at(-1)!;
    expect(reply.data.method).toBe("update");
    expect(reply.data.state).toMatchObject({ _model_name: "IntProgressModel", value: 2, max: 10 });
  });

  it("passes custom messages to listeners", () => {
    const comms = new FakeCommManager();
    const model = WidgetModel.open(comms, identity, {});
    const received: unknown[] = [];
    model.onCustom((content) => received.push(content));
    comms.frontendSends(model.id, { method: "custom", content: { event: "click" } });
    expect(received).toEqual([{ event: "click" }]);
  });
});

describe("widget manager", () => {
  it("detects a widget manager only once the frontend opens jupyter.widget.control, and forgets it on close", () => {
    const comms = new FakeCommManager();
    const manager = new WidgetManager(comms, "auto");
    expect(manager.frontendHasWidgetManager).toBe(false);
    const control = comms.frontendOpens("jupyter.widget.control");
    expect(manager.frontendHasWidgetManager).toBe(true);
    control.close();
    expect(manager.frontendHasWidgetManager).toBe(false);
    expect(new WidgetManager(new FakeCommManager(), "on").frontendHasWidgetManager).toBe(true);
    const off = new FakeCommManager();
    const forcedOff = new WidgetManager(off, "off");
    off.frontendOpens("jupyter.widget.control");
    expect(forcedOff.frontendHasWidgetManager).toBe(false);
  });

  it("answers request_states with update_states: every live model, buffer paths into states", () => {
    const comms = new FakeCommManager();
    const manager = new WidgetManager(comms, "auto");
    const bar = intProgress(manager, { max: 5, description: "epochs" });
    const binary = manager.track(WidgetModel.open(comms, identity, { data: new Uint8Array([1, 2]) }));
    const control = comms.frontendOpens("jupyter.widget.control");
    comms.frontendSends(control.id, { method: "request_states" });
    const reply = comms.messagesOn(control.id).at(-1)!;
    expect(reply.data.method).toBe("update_states");
    const states = reply.data.states as Record<string, { model_name: string; model_module: string; model_module_version: string; state: Record<string, unknown> }>;
    expect(states[bar.model.id]).toMatchObject({ model_name: "IntProgressModel", model_module: "@jupyter-widgets/controls", model_module_version: "2.0.0", state: { max: 5, description: "epochs", value: 0 } });
    const layoutId = String(states[bar.model.id]!.state.layout).replace("IPY_MODEL_", "");
    const styleId = String(states[bar.model.id]!.state.style).replace("IPY_MODEL_", "");
    expect(states[layoutId]!.model_name).toBe("LayoutModel");
    expect(states[styleId]!.model_name).toBe("ProgressStyleModel");
    expect(reply.data.buffer_paths).toEqual([[binary.id, "state", "data"]]);
    expect(reply.buffers).toEqual([new Uint8Array([1, 2])]);
    bar.close();
    comms.frontendSends(control.id, { method: "request_states" });
    const after = comms.messagesOn(control.id).at(-1)!.data.states as Record<string, unknown>;
    expect(Object.keys(after)).toEqual([binary.id]);
  });

  it("keeps frontend-created widgets so request_states lists them", () => {
    const comms = new FakeCommManager();
    const manager = new WidgetManager(comms, "auto");
    const created = comms.frontendOpens("jupyter.widget", { state: { _model_name: "IntSliderModel", _model_module: "@jupyter-widgets/controls", _model_module_version: "2.0.0", value: 3 }, buffer_paths: [] });
    expect(manager.get(created.id)?.get("value")).toBe(3);
  });
});

describe("controls", () => {
  it("FloatProgress, HTML and Output have the ipywidgets 8 model names and their own layouts", () => {
    const comms = new FakeCommManager();
    const manager = new WidgetManager(comms, "on");
    const float = floatProgress(manager, { max: 1, value: 0.25 });
    const html = htmlWidget(manager, { value: "<b>hi</b>" });
    const output = outputWidget(manager);
    const opened = (id: string) => comms.sent.find((m) => m.type === "comm_open" && m.commId === id)!.data.state as Record<string, unknown>;
    expect(opened(float.model.id)).toMatchObject({ _model_name: "FloatProgressModel", _view_name: "ProgressView", value: 0.25, max: 1 });
    expect(opened(html.model.id)).toMatchObject({ _model_name: "HTMLModel", _view_name: "HTMLView", value: "<b>hi</b>" });
    expect(opened(output.model.id)).toMatchObject({ _model_name: "OutputModel", _model_module: "@jupyter-widgets/output", _model_module_version: "1.0.0", outputs: [] });
    output.append({ output_type: "stream", name: "stdout", text: "epoch 1\n" });
    expect(comms.messagesOn(output.model.id).at(-1)!.data).toEqual({ method: "update", state: { outputs: [{ output_type: "stream", name: "stdout", text: "epoch 1\n" }] }, buffer_paths: [] });
    expect(float.bundle()).toEqual({ "application/vnd.jupyter.widget-view+json": { version_major: 2, version_minor: 1, model_id: float.model.id }, "text/plain": "FloatProgress(value=0.25, max=1)" });
  });
});
