// The kernel's widget manager: every live widget model, the `jupyter.widget.control` comm that answers
// `request_states`, and the rule that decides whether the frontend can show widgets at all.
//
// Detection rule: a frontend with a protocol-2.1 widget manager (ipywidgets 8 / jupyterlab_widgets 3 in
// JupyterLab, Notebook 7, VS Code) opens a `jupyter.widget.control` comm when it connects to the kernel.
// Until one has been opened we assume no widget manager and callers fall back to text/HTML. Frontends with
// older managers (Notebook 6's ipywidgets 6/7, protocol 1.0/2.0) never open it, so they get the fallback
// too. LABNOTE_WIDGETS=on|off overrides the rule (auto is the default).
import type { Comm, CommManager, JSONObject } from "../../kernel/types.js";
import { WidgetModel } from "./model.js";
import { CONTROL_TARGET, WIDGET_TARGET } from "./protocol.js";

export type WidgetsMode = "auto" | "on" | "off";

export function widgetsModeFromEnv(value: string | undefined = process.env.LABNOTE_WIDGETS): WidgetsMode {
  const normalized = (value ?? "auto").trim().toLowerCase();
  return normalized === "on" || normalized === "off" ? normalized : "auto";
}

export class WidgetManager {
  private readonly models = new Map<string, WidgetModel>();
  private controlComms = 0;

  constructor(readonly comms: CommManager, readonly mode: WidgetsMode = widgetsModeFromEnv()) {
    comms.registerTarget(CONTROL_TARGET, (comm) => this.openControl(comm));
    // Frontend-created widgets (rare; e.g. a frontend extension): keep their models so request_states lists them.
    comms.registerTarget(WIDGET_TARGET, (comm, data, buffers) => this.track(WidgetModel.adopt(comm, data, buffers)));
  }

  /** Whether displaying a widget will show a live widget (see the detection rule above). */
  get frontendHasWidgetManager(): boolean {
    if (this.mode === "on") return true;
    if (this.mode === "off") return false;
    return this.controlComms > 0;
  }

  /** Registers a model so `request_states` includes it and it is forgotten when its comm closes. */
  track(model: WidgetModel): WidgetModel {
    this.models.set(model.id, model);
    return model;
  }

  get(modelId: string): WidgetModel | undefined {
    return this.models.get(modelId);
  }

  list(): WidgetModel[] {
    return [...this.models.values()].filter((model) => !model.closed);
  }

  private openControl(comm: Comm): void {
    this.controlComms += 1;
    comm.onClose(() => {
      this.controlComms = Math.max(0, this.controlComms - 1);
    });
    comm.onMessage((data) => {
      if (data.method === "request_states") this.sendStates(comm);
    });
  }

  /** `update_states`: every live model's full state; buffer paths point into `states` ([id, "state", ...path]). */
  private sendStates(comm: Comm): void {
    const states: JSONObject = {};
    const bufferPaths: (string | number)[][] = [];
    const buffers: Uint8Array[] = [];
    for (const model of this.list()) {
      const serialized = model.serialize();
      const identity = model.state;
      states[model.id] = {
        model_name: String(identity._model_name),
        model_module: String(identity._model_module),
        model_module_version: String(identity._model_module_version),
        state: serialized.state,
      };
      serialized.bufferPaths.forEach((path, index) => {
        bufferPaths.push([model.id, "state", ...path]);
        buffers.push(serialized.buffers[index] as Uint8Array);
      });
    }
    for (const id of [...this.models.keys()]) if (this.models.get(id)?.closed) this.models.delete(id);
    comm.send({ method: "update_states", states, buffer_paths: bufferPaths }, {}, buffers);
  }
}

const managers = new WeakMap<CommManager, WidgetManager>();
let installed: WidgetManager | undefined;

/** The widget manager for `comms`, created (and its comm targets registered) on first use. */
export function widgetManagerFor(comms: CommManager): WidgetManager {
  let manager = managers.get(comms);
  if (!manager) {
    manager = new WidgetManager(comms);
    managers.set(comms, manager);
  }
  return manager;
}

/** Called once at kernel start with the kernel's comms, so the control comm is answered from the first message. */
export function installWidgetManager(comms: CommManager): WidgetManager {
  installed = widgetManagerFor(comms);
  return installed;
}

/** The kernel's widget manager, if one was installed in this process. */
export function currentWidgetManager(): WidgetManager | undefined {
  return installed;
}
