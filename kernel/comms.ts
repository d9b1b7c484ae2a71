// Jupyter comms: a registry of targets that magics and widgets register, and the comms open in this kernel.
import { randomUUID } from "node:crypto";
import type { Comm, CommManager, JSONObject } from "./types.js";

/** How comm messages leave the kernel (iopub, parented to the request being handled). */
export type CommSend = (msgType: "comm_open" | "comm_msg" | "comm_close", content: JSONObject, metadata: JSONObject, buffers: Uint8Array[]) => void;

type TargetHandler = (comm: Comm, data: JSONObject, buffers: Uint8Array[]) => void;

function toBytes(buffers: readonly (ArrayBuffer | Uint8Array)[] | undefined): Uint8Array[] {
  return (buffers ?? []).map((buffer) => (buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer)));
}

class KernelComm implements Comm {
  private messageHandlers: ((data: JSONObject, buffers: Uint8Array[], metadata: JSONObject) => void)[] = [];
  private closeHandlers: ((data: JSONObject) => void)[] = [];
  private isClosed = false;

  constructor(readonly id: string, readonly targetName: string, private readonly manager: KernelCommManager) {}

  get closed(): boolean {
    return this.isClosed;
  }

  send(data: JSONObject, metadata: JSONObject = {}, buffers?: ArrayBuffer[] | Uint8Array[]): void {
    if (this.isClosed) throw new Error(`Comm ${this.id} (${this.targetName}) is closed; open a new one to keep talking to the frontend.`);
    this.manager.sendRaw("comm_msg", { comm_id: this.id, data }, metadata, toBytes(buffers));
  }

  close(data: JSONObject = {}, metadata: JSONObject = {}): void {
    if (this.isClosed) return;
    this.manager.sendRaw("comm_close", { comm_id: this.id, data }, metadata, []);
    this.closedByEitherSide(data);
  }

  onMessage(handler: (data: JSONObject, buffers: Uint8Array[], metadata: JSONObject) => void): void {
    this.messageHandlers.push(handler);
  }

  onClose(handler: (data: JSONObject) => void): void {
    this.closeHandlers.push(handler);
  }

  /** @internal */
  deliver(data: JSONObject, buffers: Uint8Array[], metadata: JSONObject): void {
    for (const handler of this.messageHandlers) handler(data, buffers, metadata);
  }

  /** @internal */
  closedByEitherSide(data: JSONObject): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.manager.forget(this.id);
    for (const handler of this.closeHandlers) handler(data);
  }
}

export class KernelCommManager implements CommManager {
  private readonly targets = new Map<string, TargetHandler>();
  private readonly comms = new Map<string, KernelComm>();

  constructor(private readonly sendMessage: CommSend, private readonly log: (message: string) => void = () => {}) {}

  registerTarget(targetName: string, handler: TargetHandler): void {
    this.targets.set(targetName, handler);
  }

  unregisterTarget(targetName: string): void {
    this.targets.delete(targetName);
  }

  open(targetName: string, data: JSONObject = {}, metadata: JSONObject = {}, buffers: Uint8Array[] = []): Comm {
    const comm = new KernelComm(randomUUID().replaceAll("-", ""), targetName, this);
    this.comms.set(comm.id, comm);
    this.sendRaw("comm_open", { comm_id: comm.id, target_name: targetName, data }, metadata, buffers);
    return comm;
  }

  list(targetName?: string): Comm[] {
    return [...this.comms.values()].filter((comm) => targetName === undefined || comm.targetName === targetName);
  }

  /** comm_open from the frontend: hand it to the target, or close it straight back when nobody listens. */
  handleOpen(commId: string, targetName: string, data: JSONObject, buffers: Uint8Array[]): void {
    const handler = this.targets.get(targetName);
    if (!handler) {
      this.log(`comm_open for unknown target "${targetName}": answered with comm_close`);
      this.sendRaw("comm_close", { comm_id: commId, data: {} }, {}, []);
      return;
    }
    const comm = new KernelComm(commId, targetName, this);
    this.comms.set(commId, comm);
    try {
      handler(comm, data, buffers);
    } catch (error) {
      this.log(`comm target "${targetName}" failed on open: ${(error as Error).message}`);
      comm.close();
    }
  }

  handleMessage(commId: string, data: JSONObject, buffers: Uint8Array[], metadata: JSONObject): void {
    const comm = this.comms.get(commId);
    if (!comm) return this.log(`comm_msg for unknown comm ${commId} ignored`);
    try {
      comm.deliver(data, buffers, metadata);
    } catch (error) {
      this.log(`comm ${commId} (${comm.targetName}) handler failed: ${(error as Error).message}`);
    }
  }

  handleClose(commId: string, data: JSONObject): void {
    this.comms.get(commId)?.closedByEitherSide(data);
  }

  /** comm_info_reply content: open comms by id. */
  info(targetName?: string): Record<string, { target_name: string }> {
    return Object.fromEntries(this.list(targetName).map((comm) => [comm.id, { target_name: comm.targetName }]));
  }

  /** @internal */
  sendRaw(msgType: "comm_open" | "comm_msg" | "comm_close", content: JSONObject, metadata: JSONObject, buffers: Uint8Array[]): void {
    this.sendMessage(msgType, content, metadata, buffers);
  }

  /** @internal */
  forget(commId: string): void {
    this.comms.delete(commId);
  }
}
