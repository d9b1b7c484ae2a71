// The kernel process: `labnote kernel -f CONNECTION_FILE`. This thread owns the shell socket (requests and replies
// stay on the thread that answers them); the io worker owns control, iopub, stdin and heartbeat, which must keep
// working while a cell blocks this thread. The TypeScript compiler is built only after the first shell request has
// been answered, so the first kernel_info_reply never waits for its build, tfjs or SQLite (only, when it arrives late,
// for the ~0.1 s load of the TypeScript module, done while the kernel waits for it).
import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import { Worker } from "node:worker_threads";
import { Router } from "zeromq";
import { writeKernelLog } from "./engine/cell-scope.js";
import { History } from "./history.js";
import { kernelInfo } from "./kernel-info.js";
import type { MainToWorker, WorkerOptions, WorkerToMain } from "./protocol/bridge.js";
import { endpoint, readConnectionFile, type ConnectionInfo } from "./protocol/connection.js";
import type { SendQueue } from "./protocol/send-queue.js";
import { receiveSigned, signedSendQueue, Signer } from "./protocol/wire.js";
import { KernelSession, type Transport } from "./session.js";
import { installWidgetManager } from "../widgets/ipywidgets/manager.js";
import type { Message } from "./protocol/messages.js";
import type { Engine, EngineOptions } from "./types.js";

/** Seconds the engine gets to clean up on shutdown before the process exits anyway. */
const ENGINE_SHUTDOWN_GRACE_MS = 3000;

/** The compiler is built this long after start even if no frontend has asked anything on shell yet. */
const WARM_UP_FALLBACK_MS = 1500;

/** The wire layer's log: the kernel's own stderr, never the output of the cell that happens to be running. */
function log(message: string): void {
  writeKernelLog(`[labnote] ${message}\n`);
}

function kernelIdFrom(connectionFile: string): string {
  const match = /^kernel-(.+)\.json$/.exec(basename(connectionFile));
  return match ? match[1]! : randomUUID();
}

async function loadEngine(options: EngineOptions): Promise<Engine> {
  const { createEngine } = await import("./engine.js");
  return createEngine(options);
}

/** Loads the TypeScript module ahead of the compiler's build; a failure here is reported when the build needs it. */
async function preloadTypeScript(): Promise<void> {
  try {
    const { preloadTypeScript: preload } = await import("./engine/typescript.js");
    preload();
  } catch {
    // The warm-up (engine.ts) loads it again and reports what went wrong.
  }
}

export async function runKernel(connectionFile: string): Promise<void> {
  let session: KernelSession | undefined;
  // Registered first: without a listener SIGINT would kill the process instead of interrupting the cell.
  process.on("SIGINT", () => session?.interrupt());

  const connection = readConnectionFile(connectionFile);
  const projectDir = process.cwd();
  const kernelId = kernelIdFrom(connectionFile);
  const sessionId = randomUUID();
  const info = kernelInfo();
  const workerOptions: WorkerOptions = { connection, session: sessionId, kernelInfo: info };
  const worker = new Worker(new URL("./io-worker.js", import.meta.url), { workerData: workerOptions });
  const toWorker = (message: MainToWorker): void => worker.postMessage(message);
  const shell = new ShellSocket(connection, log);
  await shell.bind();
  const soon = new SoonBatch((messages) => toWorker({ type: "publish", messages }));

  const history = History.forProject(projectDir, log);
  let engine: Promise<Engine> | undefined;
  let shuttingDown = false;

  const shutdown = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    const engineDone = engine?.then((loaded) => loaded.shutdown(), () => undefined) ?? Promise.resolve();
    await Promise.race([engineDone.catch((error: unknown) => log(`engine shutdown failed: ${String(error)}`)), delay(ENGINE_SHUTDOWN_GRACE_MS)]);
    history.close();
    await shell.close();
    soon.flush();
    toWorker({ type: "close" });
    setTimeout(() => process.exit(0), 1000).unref();
  };

  session = new KernelSession({
    transport: {
      send(channel, message, identities = []) {
        if (channel === "shell") return shell.send(message, identities);
        soon.flush();
        toWorker({ type: "send", channel, message, identities });
      },
      sendSoon: (messages) => soon.add(messages),
      sendBatch(messages) {
        soon.flush();
        toWorker({ type: "publish", messages });
      },
      sync: () => shell.sync(),
    },
    sessionId,
    kernelInfo: info,
    history,
    onShutdown: () => void shutdown(),
    log,
  });
  const activeSession = session;
  // Before any frontend message: ipywidgets 8 frontends open jupyter.widget.control as soon as they connect.
  installWidgetManager(session.comms);

  // Until the engine installs its own handlers, a stray error must not kill the kernel (Node exits by default).
  const onStrayRejection = (reason: unknown): void => activeSession.reportBackgroundError(reason);
  const onStrayException = (error: Error): void => activeSession.reportBackgroundError(error);
  process.on("unhandledRejection", onStrayRejection);
  process.on("uncaughtException", onStrayException);
  const yieldStrayErrorsToEngine = (): void => {
    // The engine attributes stray errors to the cell that left the work running; ours would report them twice.
    if (process.listenerCount("unhandledRejection") > 1) process.off("unhandledRejection", onStrayRejection);
    if (process.listenerCount("uncaughtException") > 1) process.off("uncaughtException", onStrayException);
  };

  // The engine's modules load now (tens of milliseconds); building the TypeScript compiler blocks this thread for
  // ~1 s, so it waits until the first shell request (kernel_info) has been answered, or WARM_UP_FALLBACK_MS.
  const warmUpAfter = Promise.race([shell.firstReplySent, delay(WARM_UP_FALLBACK_MS)]);
  engine = loadEngine({ projectDir, kernelId, notebookPath: process.env.JPY_SESSION_NAME || undefined, comms: activeSession.comms, warmUpAfter });
  activeSession.setEngine(engine);
  engine.then(yieldStrayErrorsToEngine, () => undefined);
  // TypeScript itself (~9 MB of JavaScript, ~0.1 s with the code cache; no program yet) loads as soon as the engine's
  // modules are in, in the idle time before the first request comes: a client that sends its first cell right after
  // kernel_info (nbclient, papermill) gets its result that much sooner; a kernel_info arriving meanwhile waits for it.
  engine.then(() => setImmediate(() => void preloadTypeScript()), () => undefined);

  worker.on("message", (message: WorkerToMain) => {
    switch (message.type) {
      case "ready":
        // Open the history database once start-up is over, so the first cell does not pay for it.
        setTimeout(() => void history.open(), 300).unref();
        return;
      case "request":
        return activeSession.receive(message.channel, message.identities, message.message);
      case "input_reply":
        return activeSession.receiveInputReply(message.message);
      case "shutdown":
        return void shutdown();
      case "closed":
        return process.exit(0);
    }
  });
  shell.receive((identities, request) => activeSession.receive("shell", identities, request));
  worker.on("error", (error) => {
    log(`the io worker failed: ${error.stack ?? error.message}`);
    process.exit(1);
  });
  worker.on("exit", (code) => {
    if (!shuttingDown) {
      log(`the io worker stopped (exit code ${code}); the kernel cannot talk to Jupyter any more and exits.`);
      process.exit(code || 1);
    }
  });
}

/**
 * Status messages of quiet requests (completions, inspections), posted to the io worker in one hop at the end of the
 * event-loop turn instead of two hops right beside the reply: requests answered in the same turn share one post, and
 * the idle a frontend waits for is not held back by a timer.
 */
class SoonBatch {
  private pending: Message<string, unknown>[] = [];
  private timer: NodeJS.Immediate | undefined;
  constructor(private readonly post: (messages: Message<string, unknown>[]) => void) {}

  add(messages: Message<string, unknown>[]): void {
    this.pending.push(...messages);
    this.timer ??= setImmediate(() => this.flush());
  }

  /** Sends what is waiting now (before any other iopub message, so the order on iopub stays the order of events). */
  flush(): void {
    if (this.timer) clearImmediate(this.timer);
    this.timer = undefined;
    if (this.pending.length === 0) return;
    const messages = this.pending;
    this.pending = [];
    this.post(messages);
  }
}

/** The shell socket, on the thread that answers its requests: HMAC checks on the way in, signing on the way out. */
class ShellSocket {
  private readonly socket = new Router({ linger: 1000 });
  private readonly signer: Signer;
  private readonly queue: SendQueue;
  private closing = false;
  private markFirstReply: () => void = () => undefined;
  /** Resolves when the first reply has been handed to the socket. */
  readonly firstReplySent = new Promise<void>((resolve) => (this.markFirstReply = resolve));

  constructor(
    private readonly connection: ConnectionInfo,
    private readonly log: (message: string) => void,
  ) {
    this.signer = new Signer(connection.key, connection.signature_scheme);
    this.queue = signedSendQueue(this.socket, "shell", this.signer, log);
  }

  async bind(): Promise<void> {
    try {
      await this.socket.bind(endpoint(this.connection, "shell"));
    } catch (error) {
      this.log(`could not bind the shell socket: ${(error as Error).message}. Is another kernel using these ports?`);
      process.exit(1);
    }
  }

  receive(handler: (identities: Uint8Array[], message: Message) => void): void {
    receiveSigned(this.socket, "shell", this.signer, this.log, handler).catch((error: unknown) => {
      if (!this.closing) this.log(`the shell loop stopped: ${(error as Error).message}`);
    });
  }

  send(message: Message<string, unknown>, identities: Uint8Array[]): void {
    this.queue.push({ message, identities });
    this.markFirstReply();
  }

  /** Two event-loop turns, each through the poll phase, where a request waiting on the socket is read and handed on. */
  sync(): Promise<void> {
    return new Promise((resolve) => setImmediate(() => setImmediate(resolve)));
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.queue.flushed();
    this.socket.close();
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
