// The io worker thread owns the control, iopub, stdin and heartbeat sockets; the main thread owns shell (a request
// and its reply never cross threads: that hop cost completion round trips ~0.4 ms). The main thread runs user code
// and may block (a synchronous training loop, `while (true) {}`); this thread keeps the heartbeat alive, keeps
// delivering iopub messages the main thread already posted, answers kernel_info and shutdown on control, and passes
// a message-mode interrupt_request into SIGINT for the process.
import { writeSync } from "node:fs";
import { BroadcastChannel, parentPort, workerData } from "node:worker_threads";
import { Publisher, Reply, Router } from "zeromq";
import type { MainToWorker, WorkerChannel, WorkerOptions, WorkerToMain } from "./protocol/bridge.js";
import { endpoint } from "./protocol/connection.js";
import type { Header, Message } from "./protocol/messages.js";
import type { SendQueue } from "./protocol/send-queue.js";
import { newHeader, receiveSigned, signedSendQueue, Signer } from "./protocol/wire.js";

const options = workerData as WorkerOptions;
const port = parentPort!;
const signer = new Signer(options.connection.key, options.connection.signature_scheme);

const control = new Router({ linger: 1000 });
const stdin = new Router({ linger: 1000 });
const iopub = new Publisher({ linger: 1000, sendHighWaterMark: 0 });
const heartbeat = new Reply({ linger: 0 });

/** How long SIGINT gets to stop the cell before the engine's watchdog is asked to (a loop after an await). */
const WATCHDOG_FALLBACK_MS = 500;

/**
 * Message-mode interrupt: the same SIGINT a signal-mode frontend sends (vm's breakOnSigint stops synchronous code in
 * the cell, the engine's SIGINT handler stops awaits). Only if the main thread is still busy with the same requests
 * afterwards is the engine's watchdog called on its BroadcastChannel: posting there at once delivered a second, late
 * interrupt to the next cell, and its forced termination crashed a loop that SIGINT stops cleanly.
 */
function interruptEngine(): void {
  const busyBefore = new Set(mainThreadWork);
  process.kill(process.pid, "SIGINT");
  setTimeout(() => {
    if (![...mainThreadWork].some((id) => busyBefore.has(id))) return;
    const channel = new BroadcastChannel(ENGINE_INTERRUPT_CHANNEL);
    channel.postMessage({ type: "interrupt" });
    channel.close();
  }, WATCHDOG_FALLBACK_MS);
}

/** The engine's interrupt channel (kernel/engine/interrupt.ts INTERRUPT_CHANNEL); importing it would load the engine. */
const ENGINE_INTERRUPT_CHANNEL = "labnote:interrupt";

/** Straight to the process's fd 2: a worker's process.stderr is relayed through the main thread's, which cells own. */
function log(message: string): void {
  try {
    writeSync(2, `[labnote io] ${message}\n`);
  } catch {
    // stderr closed: nothing left to tell
  }
}

function makeQueue(socket: Router | Publisher, name: string): SendQueue {
  return signedSendQueue(socket, name, signer, log);
}

const queues: Record<WorkerChannel, SendQueue> = {
  control: makeQueue(control, "control"),
  stdin: makeQueue(stdin, "stdin"),
  iopub: makeQueue(iopub, "iopub"),
};

/** Requests the main thread published busy for and not idle yet (what an interrupt is meant to stop). */
const mainThreadWork = new Set<string>();

function post(message: WorkerToMain): void {
  port.postMessage(message);
}

function send(channel: WorkerChannel, message: Message<string, unknown>, identities: Uint8Array[] = []): void {
  if (channel === "iopub" && message.header.msg_type === "status" && "msg_id" in message.parent_header) {
    const state = (message.content as { execution_state?: string }).execution_state;
    if (state === "busy") mainThreadWork.add(message.parent_header.msg_id);
    else if (state === "idle") mainThreadWork.delete(message.parent_header.msg_id);
  }
  queues[channel].push({ identities, message });
}

function ownMessage<C>(msgType: string, parent: Header | Record<string, never>, content: C): Message<string, C> {
  return { header: newHeader(msgType, options.session), parent_header: parent, metadata: {}, content, buffers: [] };
}

function status(state: "busy" | "idle" | "starting", parent: Header | Record<string, never>): void {
  send("iopub", ownMessage("status", parent, { execution_state: state }));
}

/** Control requests this thread answers itself, around busy/idle like any other request. */
function answerHere(identities: Uint8Array[], request: Message): boolean {
  const type = request.header.msg_type;
  const reply = (msgType: string, content: unknown): void => send("control", ownMessage(msgType, request.header, content), identities);
  if (type === "kernel_info_request") {
    status("busy", request.header);
    reply("kernel_info_reply", options.kernelInfo);
    status("idle", request.header);
    return true;
  }
  if (type === "interrupt_request") {
    status("busy", request.header);
    interruptEngine();
    reply("interrupt_reply", { status: "ok" });
    status("idle", request.header);
    return true;
  }
  if (type === "shutdown_request") {
    const restart = (request.content as { restart?: unknown }).restart === true;
    status("busy", request.header);
    reply("shutdown_reply", { status: "ok", restart });
    status("idle", request.header);
    void Promise.all([queues.control.flushed(), queues.iopub.flushed()]).then(() => post({ type: "shutdown", restart }));
    return true;
  }
  return false;
}

function receiveControlRequests(): Promise<void> {
  return receiveSigned(control, "control", signer, log, (identities, message) => {
    // The rest (comm_info, debug requests, …) goes to the main thread, which publishes busy and idle for it.
    if (!answerHere(identities, message)) post({ type: "request", channel: "control", identities, message });
  });
}

function receiveInputReplies(): Promise<void> {
  return receiveSigned(stdin, "stdin", signer, log, (_identities, message) => {
    if (message.header.msg_type === "input_reply") post({ type: "input_reply", message });
    else log(`ignored ${message.header.msg_type} on stdin (only input_reply is expected there)`);
  });
}

async function echoHeartbeats(): Promise<void> {
  for await (const frames of heartbeat) await heartbeat.send(frames);
}

function keepReceiving(loop: () => Promise<void>, name: string): void {
  loop().catch((error: unknown) => {
    if (!closing) log(`${name} loop stopped: ${(error as Error).message}`);
  });
}

let closing = false;

async function close(): Promise<void> {
  closing = true;
  await Promise.all(Object.values(queues).map((queue) => queue.flushed()));
  for (const socket of [control, stdin, iopub, heartbeat]) socket.close();
  post({ type: "closed" });
}

/** Messages the main thread posted before the sockets were bound (it binds shell itself and may answer first). */
let early: [WorkerChannel, Message<string, unknown>, Uint8Array[]][] | undefined = [];

function deliver(channel: WorkerChannel, message: Message<string, unknown>, identities: Uint8Array[] = []): void {
  if (early) early.push([channel, message, identities]);
  else send(channel, message, identities);
}

port.on("message", (message: MainToWorker) => {
  if (message.type === "send") deliver(message.channel, message.message, message.identities);
  else if (message.type === "publish") for (const item of message.messages) deliver("iopub", item);
  else if (message.type === "close") void close();
});

async function start(): Promise<void> {
  const info = options.connection;
  await Promise.all([
    control.bind(endpoint(info, "control")),
    stdin.bind(endpoint(info, "stdin")),
    iopub.bind(endpoint(info, "iopub")),
    heartbeat.bind(endpoint(info, "hb")),
  ]);
  keepReceiving(receiveControlRequests, "control");
  keepReceiving(receiveInputReplies, "stdin");
  keepReceiving(echoHeartbeats, "heartbeat");
  status("starting", {});
  const posted = early ?? [];
  early = undefined;
  for (const [channel, message, identities] of posted) send(channel, message, identities);
  post({ type: "ready" });
}

start().catch((error: unknown) => {
  log(`could not bind the kernel's sockets: ${(error as Error).message}. Is another kernel using these ports?`);
  process.exit(1);
});
