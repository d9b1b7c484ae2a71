// Messages between the main thread (engine, dispatcher) and the io worker (all ZeroMQ sockets), via postMessage.
import type { ConnectionInfo } from "./connection.js";
import type { Channel, Header, KernelInfoReplyContent, Message } from "./messages.js";

export interface WorkerOptions {
  connection: ConnectionInfo;
  /** Session id used in headers of messages the worker writes itself. */
  session: string;
  /** Answered by the worker directly while the main thread is idle, so start-up never waits for the engine. */
  kernelInfo: KernelInfoReplyContent;
}

export type WorkerToMain =
  | { type: "ready" }
  | { type: "request"; channel: "shell" | "control"; identities: Uint8Array[]; message: Message }
  | { type: "input_reply"; message: Message }
  /** Answers `sync`: every request the worker had read off its sockets before was posted ahead of this. */
  | { type: "synced"; id: number }
  | { type: "shutdown"; restart: boolean }
  | { type: "closed" };

export type MainToWorker =
  /** `thenIdle`: the request this message answers is finished; the worker publishes its idle status after it. */
  | { type: "send"; channel: Channel; identities: Uint8Array[]; message: Message<string, unknown>; thenIdle?: Header }
  | { type: "idle"; parent: Header }
  /** stop_on_error: hand over what has arrived on the sockets (two event-loop turns), then answer `synced`. */
  | { type: "sync"; id: number }
  | { type: "close" };
