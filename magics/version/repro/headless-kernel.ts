// A fresh labnote kernel driven headless over ZeroMQ (no Python Jupyter needed): spawned as
// `node bin/labnote.js kernel -f CONN` with ipc sockets inside its own scratch directory, spoken to with the
// kernel's own wire code. Every wait has a deadline: a cell that runs too long is interrupted, then the kernel killed.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { Dealer, Subscriber } from "zeromq";
import { recordOutputs } from "../../../kernel/engine/output-record.js";
import type { ConnectionInfo, SocketName } from "../../../kernel/protocol/connection.js";
import { endpoint } from "../../../kernel/protocol/connection.js";
import type { Message } from "../../../kernel/protocol/messages.js";
import { decodeMessage, encodeMessage, newHeader, Signer } from "../../../kernel/protocol/wire.js";
import type { JSONObject, MimeBundle, NotebookOutput } from "../../../kernel/types.js";

export interface CellExecution {
  status: "ok" | "error" | "timeout" | "kernel-died";
  outputs: NotebookOutput[];
  error?: { ename: string; evalue: string };
  durationMs: number;
}

export interface HeadlessKernelOptions {
  /** The kernel's working directory (the scratch project). */
  cwd: string;
  /** Where the connection file and the ipc sockets go (outside cwd). */
  runtimeDir: string;
  /** bin/labnote.js of this package. */
  launcher: string;
  env: NodeJS.ProcessEnv;
  startTimeoutMs?: number;
}

type Waiter = { onShell(message: Message): void; onIopub(message: Message): void };

export class HeadlessKernel {
  private readonly waiters = new Map<string, Waiter>();
  private stderrTail = "";
  private exited: Promise<number | null>;
  private hasExited = false;
  private iopubSeen = false;

  private constructor(
    private readonly child: ChildProcess,
    private readonly signer: Signer,
    private readonly shell: Dealer,
    private readonly control: Dealer,
    private readonly iopub: Subscriber,
    private readonly session: string,
  ) {
    child.stderr?.on("data", (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-4000)));
    child.stdout?.resume();
    this.exited = new Promise((resolveExit) => child.once("exit", (code) => {
      this.hasExited = true;
      resolveExit(code);
    }));
    void this.receive(shell, (message) => this.waiters.get(parentId(message))?.onShell(message));
    void this.receive(control, (message) => this.waiters.get(parentId(message))?.onShell(message));
    void this.receive(iopub, (message) => {
      this.iopubSeen = true;
      this.waiters.get(parentId(message))?.onIopub(message);
    });
  }

  /** Starts the kernel and waits until it answers kernel_info and its iopub messages arrive. */
  static async start(options: HeadlessKernelOptions): Promise<HeadlessKernel> {
    const key = randomBytes(32).toString("hex");
    const base = join(options.runtimeDir, `kernel-${randomBytes(3).toString("hex")}`);
    const connection: ConnectionInfo = { transport: "ipc", ip: base, shell_port: 1, control_port: 2, iopub_port: 3, stdin_port: 4, hb_port: 5, key, signature_scheme: "hmac-sha256" };
    const connectionFile = join(options.runtimeDir, "kernel-connection.json");
    writeFileSync(connectionFile, JSON.stringify({ ...connection, kernel_name: "labnote" }));
    const child = spawn(process.execPath, [options.launcher, "kernel", "-f", connectionFile], { cwd: options.cwd, env: options.env, stdio: ["ignore", "pipe", "pipe"] });
    const at = (socket: SocketName) => endpoint(connection, socket);
    const shell = new Dealer({ linger: 0 });
    const control = new Dealer({ linger: 0 });
    const iopub = new Subscriber({ linger: 0 });
    shell.connect(at("shell"));
    control.connect(at("control"));
    iopub.connect(at("iopub"));
    iopub.subscribe();
    const kernel = new HeadlessKernel(child, new Signer(key, "hmac-sha256"), shell, control, iopub, randomUUID());
    const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
    // ZeroMQ's slow joiner: ask until a reply comes back and iopub has delivered something.
    while (Date.now() < deadline) {
      if (kernel.hasExited) break;
      const reply = await kernel.request(shell, "kernel_info_request", {}, 2000).catch(() => undefined);
      if (reply && kernel.iopubSeen) return kernel;
    }
    const why = kernel.hasExited ? `it exited: ${kernel.stderrTail.trim().split("\n").slice(-5).join(" | ")}` : `no answer within ${Math.round((options.startTimeoutMs ?? 60_000) / 1000)} s`;
    await kernel.kill();
    throw new Error(`the fresh labnote kernel did not start (${why}).`);
  }

  private async receive(socket: Dealer | Subscriber, handle: (message: Message) => void): Promise<void> {
    try {
      for await (const frames of socket) {
        const decoded = decodeMessage(frames, this.signer);
        if (decoded.ok) handle(decoded.message);
      }
    } catch {
      // the socket was closed
    }
  }

  private send(socket: Dealer, msgType: string, content: JSONObject, metadata: JSONObject = {}): string {
    const header = newHeader(msgType, this.session);
    void socket.send(encodeMessage({ header, parent_header: {}, metadata, content, buffers: [] }, this.signer));
    return header.msg_id;
  }

  private request(socket: Dealer, msgType: string, content: JSONObject, timeoutMs: number): Promise<Message> {
    return new Promise((resolveReply, reject) => {
      const id = this.send(socket, msgType, content);
      const timer = setTimeout(() => {
        this.waiters.delete(id);
        reject(new Error(`${msgType}: no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.set(id, {
        onShell: (message) => {
          clearTimeout(timer);
          this.waiters.delete(id);
          resolveReply(message);
        },
        onIopub: () => undefined,
      });
    });
  }

  /** Runs one cell; never waits past timeoutMs (+ a grace period for the interrupt to land). */
  execute(code: string, options: { timeoutMs: number; cellId?: string; silent?: boolean }): Promise<CellExecution> {
    const started = Date.now();
    const recorder = recordOutputs({ stream: () => undefined, displayData: () => undefined, updateDisplayData: () => undefined, clearOutput: () => undefined });
    if (this.hasExited) return Promise.resolve({ status: "kernel-died", outputs: [], error: { ename: "KernelDied", evalue: this.diedMessage() }, durationMs: 0 });
    return new Promise((resolveCell) => {
      let replied: Message | undefined;
      let idle = false;
      let result: MimeBundle | undefined;
      let executionCount = 0;
      let error: { ename: string; evalue: string; traceback: string[] } | undefined;
      let timedOut = false;
      let done = false;
      const finish = (status: CellExecution["status"], extra?: { ename: string; evalue: string }) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        clearTimeout(killTimer);
        this.waiters.delete(id);
        const outputs = recorder.finish(error ?? { ...(result ? { result } : {}), executionCount });
        const failure = extra ?? (error ? { ename: error.ename, evalue: error.evalue } : undefined);
        resolveCell({ status, outputs, ...(failure ? { error: failure } : {}), durationMs: Date.now() - started });
      };
      const settle = () => {
        if (!replied || !idle) return;
        if (timedOut) finish("timeout", { ename: "Timeout", evalue: `the cell ran longer than ${Math.round(options.timeoutMs / 1000)} s and was interrupted` });
        else finish(replied.content.status === "ok" ? "ok" : "error");
      };
      const id = this.send(this.shell, "execute_request", { code, silent: options.silent === true, store_history: options.silent !== true, user_expressions: {}, allow_stdin: false, stop_on_error: false }, options.cellId ? { cellId: options.cellId } : {});
      this.waiters.set(id, {
        onShell: (message) => {
          replied = message;
          settle();
        },
        onIopub: (message) => {
          const content = message.content as Record<string, unknown>;
          switch (message.header.msg_type) {
            case "stream":
              recorder.sink.stream(content.name === "stderr" ? "stderr" : "stdout", String(content.text ?? ""));
              break;
            case "display_data":
              recorder.sink.displayData(content.data as MimeBundle, content.metadata as JSONObject, content.transient as { display_id?: string });
              break;
            case "update_display_data":
              recorder.sink.updateDisplayData(content.data as MimeBundle, content.metadata as JSONObject, content.transient as { display_id: string });
              break;
            case "clear_output":
              recorder.sink.clearOutput(content.wait === true);
              break;
            case "execute_result":
              result = content.data as MimeBundle;
              executionCount = Number(content.execution_count ?? 0);
              break;
            case "error":
              error = { ename: String(content.ename ?? "Error"), evalue: String(content.evalue ?? ""), traceback: (content.traceback as string[] | undefined) ?? [] };
              break;
            case "status":
              if (content.execution_state === "idle") {
                idle = true;
                settle();
              }
              break;
          }
        },
      });
      let killTimer: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        this.send(this.control, "interrupt_request", {});
        // The interrupt did not land (a native call that never returns): the kernel goes, the cell is a timeout.
        killTimer = setTimeout(() => {
          void this.kill().then(() => finish("timeout", { ename: "Timeout", evalue: `the cell ran longer than ${Math.round(options.timeoutMs / 1000)} s; the interrupt did not stop it, so the kernel was killed` }));
        }, 15_000);
      }, options.timeoutMs);
      void this.exited.then(() => {
        if (!timedOut) finish("kernel-died", { ename: "KernelDied", evalue: this.diedMessage() });
      });
    });
  }

  private diedMessage(): string {
    const tail = this.stderrTail.trim().split("\n").slice(-5).join(" | ");
    return `the kernel process exited during the cell${tail ? `: ${tail}` : ""}`;
  }

  /** shutdown_request on control; the process is killed if it has not exited 10 s later. */
  async shutdown(): Promise<void> {
    if (!this.hasExited) {
      await this.request(this.control, "shutdown_request", { restart: false }, 10_000).catch(() => undefined);
      const exited = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolveWait) => setTimeout(() => resolveWait(false), 10_000))]);
      if (!exited) await this.kill();
    }
    this.close();
  }

  async kill(): Promise<void> {
    if (!this.hasExited) {
      this.child.kill("SIGKILL");
      await this.exited;
    }
    this.close();
  }

  private close(): void {
    for (const socket of [this.shell, this.control, this.iopub]) if (!socket.closed) socket.close();
  }
}

function parentId(message: Message): string {
  const parent = message.parent_header as { msg_id?: string };
  return parent.msg_id ?? "";
}
