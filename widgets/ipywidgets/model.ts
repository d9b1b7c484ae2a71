// One widget model on the kernel side: its state, its comm, and the 2.1 messages that keep both sides in step.
import type { Comm, CommManager, JSONObject } from "../../kernel/types.js";
import { isBufferPathList, putBuffers, removeBuffers, type StateValue, type WidgetState } from "./buffers.js";
import { PROTOCOL_VERSION, WIDGET_TARGET, type ModelIdentity } from "./protocol.js";

export type StateListener = (changed: WidgetState, origin: "kernel" | "frontend") => void;
export type CustomListener = (content: JSONObject, buffers: Uint8Array[]) => void;

function identityState(identity: ModelIdentity): WidgetState {
  return {
    _model_name: identity.modelName,
    _model_module: identity.modelModule,
    _model_module_version: identity.modelModuleVersion,
    _view_name: identity.viewName,
    _view_module: identity.viewModule,
    _view_module_version: identity.viewModuleVersion,
  };
}

export class WidgetModel {
  private readonly stateListeners: StateListener[] = [];
  private readonly customListeners: CustomListener[] = [];
  private readonly current: WidgetState;

  private constructor(
    private readonly comm: Comm,
    state: WidgetState,
    /** Echo frontend updates back (protocol 2.1 echo_update) so every frontend on the kernel agrees. */
    private readonly echoUpdates: boolean,
  ) {
    this.current = state;
    comm.onMessage((data, buffers) => this.receive(data, buffers));
  }

  /** Opens a comm on `jupyter.widget` with the full state: {state, buffer_paths} and metadata {version: "2.1.0"}. */
  static open(comms: CommManager, identity: ModelIdentity, state: WidgetState, options: { echoUpdates?: boolean } = {}): WidgetModel {
    const full: WidgetState = { ...identityState(identity), ...state };
    const { state: json, bufferPaths, buffers } = removeBuffers(full);
    const comm = comms.open(WIDGET_TARGET, { state: json, buffer_paths: bufferPaths }, { version: PROTOCOL_VERSION }, buffers);
    return new WidgetModel(comm, full, options.echoUpdates ?? true);
  }

  /** A model the frontend created (comm_open on `jupyter.widget` from the frontend). */
  static adopt(comm: Comm, data: JSONObject, buffers: Uint8Array[]): WidgetModel {
    const json = (data.state ?? {}) as JSONObject;
    const paths = isBufferPathList(data.buffer_paths) ? data.buffer_paths : [];
    return new WidgetModel(comm, putBuffers(json, paths, buffers), true);
  }

  get id(): string {
    return this.comm.id;
  }

  get closed(): boolean {
    return this.comm.closed;
  }

  get state(): Readonly<WidgetState> {
    return this.current;
  }

  get(key: string): StateValue | undefined {
    return this.current[key];
  }

  /** Changes state in the kernel and sends the changed keys to the frontend as one `update`. */
  set(changes: WidgetState): void {
    const changed: WidgetState = {};
    for (const [key, value] of Object.entries(changes)) {
      if (sameValue(this.current[key], value)) continue;
      this.current[key] = value;
      changed[key] = value;
    }
    if (Object.keys(changed).length === 0 || this.comm.closed) return;
    this.sendState("update", changed);
    for (const listener of this.stateListeners) listener(changed, "kernel");
  }

  /** Sends a custom message (`method: "custom"`) to the frontend's model. */
  sendCustom(content: JSONObject, buffers: Uint8Array[] = []): void {
    if (!this.comm.closed) this.comm.send({ method: "custom", content }, {}, buffers);
  }

  onChange(listener: StateListener): () => void {
    this.stateListeners.push(listener);
    return () => this.stateListeners.splice(this.stateListeners.indexOf(listener) >>> 0, 1);
  }

  onCustom(listener: CustomListener): void {
    this.customListeners.push(listener);
  }

  /** Full state with binary values split out, as `request_states` wants it. */
  serialize(): { state: JSONObject; bufferPaths: (string | number)[][]; buffers: Uint8Array[] } {
    return removeBuffers(this.current);
  }

  close(): void {
    this.comm.close();
  }

  private sendState(method: "update" | "echo_update", changed: WidgetState): void {
    const { state, bufferPaths, buffers } = removeBuffers(changed);
    this.comm.send({ method, state, buffer_paths: bufferPaths }, { version: PROTOCOL_VERSION }, buffers);
  }

  private receive(data: JSONObject, buffers: Uint8Array[]): void {
    switch (data.method) {
      case "update": {
        const json = (data.state ?? {}) as JSONObject;
        const changed = putBuffers(json, isBufferPathList(data.buffer_paths) ? data.buffer_paths : [], buffers);
        Object.assign(this.current, changed);
        if (this.echoUpdates) this.sendState("echo_update", changed);
        for (const listener of this.stateListeners) listener(changed, "frontend");
        return;
      }
      case "request_state":
        return this.sendState("update", this.current);
      case "custom":
        for (const listener of this.customListeners) listener((data.content ?? {}) as JSONObject, buffers);
        return;
      default:
        return;
    }
  }
}

function sameValue(a: StateValue | undefined, b: StateValue): boolean {
  if (a === b) return true;
  if (a === undefined || typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b) || a instanceof ArrayBuffer || b instanceof ArrayBuffer) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}
