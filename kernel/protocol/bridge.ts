// Messages between the main thread (engine, dispatcher) and the io worker (all ZeroMQ sockets), via postMessage.
import type { ConnectionInfo } from "./connection.js";
import type { Channel, KernelInfoReplyContent, Message } from "./messages.js";

export interface WorkerOptions {
  connection: ConnectionInfo;
  /** Session id used in headers of messages the worker writes itself. */
  session: string;
  /** Answered by the worker directly on control, even while a cell blocks the main thread. */
  kernelInfo: KernelInfoReplyContent;
}

export type WorkerToMain =
  | { type: "ready" }
  /** A control request the worker does not answer itself. */
  | { type: "request"; channel: "control"; identities: Uint8Array[]; message: Message }
  | { type: "input_reply"; message: Message }
  | { type: "shutdown"; restart: boolean }
  | { type: "closed" };

/** The sockets the io worker owns; the main thread owns shell. */
export type WorkerChannel = Exclude<Channel, "shell">;

export type MainToWorker =
  | { type: "send"; channel: WorkerChannel; identities: Uint8Array[]; message: Message<string, unknown> }
  /** Several iopub messages in one hop, in order. */
  | { type: "publish"; messages: Message<string, unknown>[] }
  | { type: "close" };
