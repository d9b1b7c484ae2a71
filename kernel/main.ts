// The kernel process: `labnote kernel -f CONNECTION_FILE`. The io worker binds the sockets first; the engine is
// created afterwards so the first kernel_info_reply never waits for TypeScript, tfjs or SQLite.
import { randomUUID } from "node:crypto";
import { basename } from "node:path";
import { Worker } from "node:worker_threads";
import { writeKernelLog } from "./engine/cell-scope.js";
import { History } from "./history.js";
import { kernelInfo } from "./kernel-info.js";
import type { MainToWorker, WorkerOptions, WorkerToMain } from "./protocol/bridge.js";
import { readConnectionFile } from "./protocol/connection.js";
import { KernelSession, type Transport } from "./session.js";
import { installWidgetManager } from "../widgets/ipywidgets/manager.js";
import type { Engine, EngineOptions } from "./types.js";

/** Seconds the engine gets to clean up on shutdown before the process exits anyway. */
const ENGINE_SHUTDOWN_GRACE_MS = 3000;

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
  const syncs = new Map<number, () => void>();

  const history = History.forProject(projectDir, log);
  let engine: Promise<Engine> | undefined;
  let shuttingDown = false;

  const shutdown = async (): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    const engineDone = engine?.then((loaded) => loaded.shutdown(), () => undefined) ?? Promise.resolve();
    await Promise.race([engineDone.catch((error: unknown) => log(`engine shutdown failed: ${String(error)}`)), delay(ENGINE_SHUTDOWN_GRACE_MS)]);
    history.close();
    toWorker({ type: "close" });
    setTimeout(() => process.exit(0), 1000).unref();
  };

  session = new KernelSession({
    transport: workerTransport(toWorker, syncs),
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

  // The engine starts loading TypeScript now, while the io worker binds the sockets on its own thread: the worker
  // answers kernel_info itself, so start-up does not wait for the engine, and the first cell waits less.
  engine = loadEngine({ projectDir, kernelId, notebookPath: process.env.JPY_SESSION_NAME || undefined, comms: activeSession.comms });
  activeSession.setEngine(engine);
  engine.then(yieldStrayErrorsToEngine, () => undefined);

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
      case "synced": {
        const resolve = syncs.get(message.id);
        syncs.delete(message.id);
        return resolve?.();
      }
      case "shutdown":
        return void shutdown();
      case "closed":
        return process.exit(0);
    }
  });
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
 * Sends through the io worker, which publishes busy as a request arrives. A request's reply is held for the few
 * microtasks until the request is finished and then crosses to the worker together with "publish idle": one hop.
 */
function workerTransport(toWorker: (message: MainToWorker) => void, syncs: Map<number, () => void>): Transport {
  let held: Extract<MainToWorker, { type: "send" }> | undefined;
  let nextSync = 0;
  const flushHeld = (): void => {
    if (!held) return;
    const message = held;
    held = undefined;
    toWorker(message);
  };
  return {
    send(channel, message, identities = []) {
      flushHeld();
      const outgoing = { type: "send", channel, message, identities } as const;
      if (channel === "iopub" || channel === "stdin") return toWorker(outgoing);
      held = outgoing;
      // A safety net only: finished() normally takes the reply first.
      setImmediate(flushHeld);
    },
    sync() {
      const id = nextSync++;
      return new Promise<void>((resolve) => {
        syncs.set(id, resolve);
        toWorker({ type: "sync", id });
      });
    },
    finished(parent) {
      const reply = held;
      held = undefined;
      toWorker(reply ? { ...reply, thenIdle: parent } : { type: "idle", parent });
    },
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
