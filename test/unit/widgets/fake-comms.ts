// A CommManager that records what the kernel would put on iopub and lets a test play the frontend.
import type { Comm, CommManager, JSONObject } from "../../../kernel/types.js";

export interface SentMessage {
  type: "comm_open" | "comm_msg" | "comm_close";
  commId: string;
  targetName?: string;
  data: JSONObject;
  metadata: JSONObject;
  buffers: Uint8Array[];
}

class FakeComm implements Comm {
  closed = false;
  readonly messageHandlers: ((data: JSONObject, buffers: Uint8Array[], metadata: JSONObject) => void)[] = [];
  readonly closeHandlers: ((data: JSONObject) => void)[] = [];
  constructor(readonly id: string, readonly targetName: string, private readonly sent: SentMessage[]) {}
  send(data: JSONObject, metadata: JSONObject = {}, buffers: ArrayBuffer[] | Uint8Array[] = []): void {
    this.sent.push({ type: "comm_msg", commId: this.id, data, metadata, buffers: [...buffers].map((b) => (b instanceof Uint8Array ? b : new Uint8Array(b))) });
  }
  close(data: JSONObject = {}): void {
    if (this.closed) return;
    this.closed = true;
    this.sent.push({ type: "comm_close", commId: this.id, data, metadata: {}, buffers: [] });
    for (const handler of this.closeHandlers) handler(data);
  }
  onMessage(handler: (data: JSONObject, buffers: Uint8Array[], metadata: JSONObject) => void): void {
    this.messageHandlers.push(handler);
  }
  onClose(handler: (data: JSONObject) => void): void {
    this.closeHandlers.push(handler);
  }
}

export class FakeCommManager implements CommManager {
  readonly sent: SentMessage[] = [];
  readonly targets = new Map<string, (comm: Comm, data: JSONObject, buffers: Uint8Array[]) => void>();
  private readonly comms = new Map<string, FakeComm>();
  private nextId = 1;

  registerTarget(targetName: string, handler: (comm: Comm, data: JSONObject, buffers: Uint8Array[]) => void): void {
    this.targets.set(targetName, handler);
  }
  unregisterTarget(targetName: string): void {
    this.targets.delete(targetName);
  }
  open(targetName: string, data: JSONObject = {}, metadata: JSONObject = {}, buffers: Uint8Array[] = []): Comm {
    const comm = new FakeComm(`comm${this.nextId++}`, targetName, this.sent);
    this.comms.set(comm.id, comm);
    this.sent.push({ type: "comm_open", commId: comm.id, targetName, data, metadata, buffers });
    return comm;
  }
  list(targetName?: string): Comm[] {
    return [...this.comms.values()].filter((comm) => !comm.closed && (targetName === undefined || comm.targetName === targetName));
  }

  /** The frontend opens a comm on `targetName` (as a widget manager does on `jupyter.widget.control`). */
  frontendOpens(targetName: string, data: JSONObject = {}, buffers: Uint8Array[] = []): FakeComm {
    const comm = new FakeComm(`frontend${this.nextId++}`, targetName, this.sent);
    const handler = this.targets.get(targetName);
    if (!handler) throw new Error(`no target ${targetName}`);
    this.comms.set(comm.id, comm);
    handler(comm, data, buffers);
    return comm;
  }
  /** The frontend sends a comm_msg on an open comm. */
  frontendSends(commId: string, data: JSONObject, buffers: Uint8Array[] = []): void {
    const comm = this.comms.get(commId);
    if (!comm) throw new Error(`no comm ${commId}`);
    for (const handler of comm.messageHandlers) handler(data, buffers, {});
  }
  messagesOn(commId: string): SentMessage[] {
    return this.sent.filter((message) => message.commId === commId);
  }
}
