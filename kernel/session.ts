// The dispatcher on the main thread: one shell request at a time (control requests jump the queue), busy/idle
// around each, replies and iopub parented to the request, execution counts, stop_on_error, stdin, comms, history.
import { KernelCommManager } from "./comms.js";
import { writeKernelLog } from "./engine/cell-scope.js";
import type { History } from "./history.js";
import type {
  Channel,
  ExecuteReplyContent,
  ExecuteRequestContent,
  Header,
  KernelInfoReplyContent,
  Message,
  ShellRequest,
} from "./protocol/messages.js";
import { createOutputSink } from "./protocol/output-sink.js";
import { toShellRequest } from "./protocol/requests.js";
import { newHeader } from "./protocol/wire.js";
import type { Engine, ExecuteOutcome, JSONObject } from "./types.js";

export interface Transport {
  send(channel: Channel, message: Message<string, unknown>, identities?: Uint8Array[]): void;
  /** Resolves once every request that had reached the kernel's sockets has been passed to `receive`. */
  sync?(): Promise<void>;
  /**
   * Optional: iopub messages that may go out a moment later (a quiet request's busy and idle), batched so that they
   * do not compete with the reply; anything sent afterwards is sent after them. Without it they are sent at once.
   */
  sendSoon?(messages: Message<string, unknown>[]): void;
  /** Optional: several iopub messages at once, in order, in one hop (the io worker); without it each is sent alone. */
  sendBatch?(messages: Message<string, unknown>[]): void;
}

/**
 * Requests whose handling publishes nothing on iopub: their busy status goes out with their idle, after the reply.
 * Publishing it first competed for the CPU with the answer itself (a completion round trip is ~1–2 ms on 2 cores).
 */
const QUIET_REQUESTS = new Set(["kernel_info_request", "complete_request", "inspect_request", "is_complete_request", "history_request", "comm_info_request"]);

export interface SessionOptions {
  transport: Transport;
  sessionId: string;
  kernelInfo: KernelInfoReplyContent;
  history?: History;
  /** Called after a shutdown_request has been answered (shell channel; control's is answered by the io worker). */
  onShutdown?(restart: boolean): void;
  log?(message: string): void;
}

interface QueuedRequest {
  channel: "shell" | "control";
  identities: Uint8Array[];
  message: Message;
  aborted?: boolean;
}

type ExecuteMessage = Extract<ShellRequest, { msg_type: "execute_request" }>;

export class KernelSession {
  readonly comms: KernelCommManager;
  private engine: Promise<Engine> | undefined;
  private readonly queue: QueuedRequest[] = [];
  private processing = false;
  private executionCount = 0;
  /** The request whose handling is in progress: comm messages and background errors are parented to it. */
  private currentParent: Header | Record<string, never> = {};
  private lastExecuteParent: Header | undefined;
  private pendingInput: { resolve(value: string): void; reject(error: Error): void } | undefined;
  private readonly log: (message: string) => void;
  /**
   * iopub messages held for one hop to the io worker: a request's busy and an execute's execute_input, sent together
   * once this turn's synchronous code is done (before the cell runs: the engine is awaited first). Any message sent
   * meanwhile (a cell's output, a comm message, an input_request, a reply) flushes them first, so the order holds.
   */
  private held: Message<string, unknown>[] = [];
  private flushQueued = false;
  /** The msg_id of the request whose idle has been sent already (by execute, right after its reply). */
  private idleSentFor: string | undefined;

  constructor(private readonly options: SessionOptions) {
    // The kernel's own stderr even while a cell runs (a cell's stderr is routed to its output).
    this.log = options.log ?? ((message) => writeKernelLog(`[labnote] ${message}\n`));
    this.comms = new KernelCommManager((msgType, content, metadata, buffers) => this.publish(msgType, content, this.currentParent, metadata, buffers), this.log);
  }

  /** The engine may still be loading: requests that need it wait, kernel_info never does. */
  setEngine(engine: Promise<Engine>): void {
    this.engine = engine;
    engine.catch((error: unknown) => this.log(`the TypeScript engine failed to load: ${(error as Error).stack ?? String(error)}`));
  }

  receive(channel: "shell" | "control", identities: Uint8Array[], message: Message): void {
    const request = { channel, identities, message };
    if (channel === "control") void this.handle(request);
    else {
      this.queue.push(request);
      if (!this.processing) void this.processQueue();
    }
  }

  receiveInputReply(message: Message): void {
    const pending = this.pendingInput;
    this.pendingInput = undefined;
    if (!pending) return this.log("input_reply arrived while no input was requested; ignored");
    pending.resolve(typeof message.content.value === "string" ? message.content.value : "");
  }

  /** SIGINT (signal mode) or interrupt_request on the shell channel: stop the cell, and any input() it waits on. */
  interrupt(): void {
    this.cancelInput();
    void this.engine?.then((engine) => engine.interrupt(), () => undefined);
  }

  /** An interrupt while input() waits: the cell gets an error instead of waiting for ever. */
  cancelInput(): void {
    const pending = this.pendingInput;
    this.pendingInput = undefined;
    pending?.reject(Object.assign(new Error("Interrupted while waiting for input()."), { name: "Interrupted" }));
  }

  /** An error no cell awaited (unhandled rejection, throw in a timer): shown under the last executed cell. */
  reportBackgroundError(error: unknown): void {
    const description = error instanceof Error ? (error.stack ?? `${error.name}: ${error.message}`) : String(error);
    const text = `Unhandled error in background work (the kernel is still running):\n${description}\n`;
    if (this.lastExecuteParent) this.publish("stream", { name: "stderr", text }, this.lastExecuteParent);
    else this.log(text);
  }

  private async processQueue(): Promise<void> {
    this.processing = true;
    while (this.queue.length > 0) await this.handle(this.queue.shift()!);
    this.processing = false;
  }

  private publish(msgType: string, content: unknown, parent: Header | Record<string, never>, metadata: JSONObject = {}, buffers: Uint8Array[] = []): void {
    this.flushHeld();
    this.options.transport.send("iopub", { header: newHeader(msgType, this.options.sessionId), parent_header: parent, metadata, content, buffers });
  }

  /** Queues an iopub message for the next flush: at the latest when this turn's synchronous code and microtasks run. */
  private hold(msgType: string, content: unknown, parent: Header): void {
    this.held.push({ header: newHeader(msgType, this.options.sessionId), parent_header: parent, metadata: {}, content, buffers: [] });
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      this.flushHeld();
    });
  }

  private flushHeld(): void {
    if (this.held.length === 0) return;
    const messages = this.held;
    this.held = [];
    const transport = this.options.transport;
    if (transport.sendBatch) transport.sendBatch(messages);
    else for (const message of messages) transport.send("iopub", message);
  }

  private publishStatusesSoon(parent: Header): void {
    const status = (execution_state: string): Message<string, unknown> =>
      ({ header: newHeader("status", this.options.sessionId), parent_header: parent, metadata: {}, content: { execution_state }, buffers: [] });
    const messages = [status("busy"), status("idle")];
    const transport = this.options.transport;
    if (transport.sendSoon) transport.sendSoon(messages);
    else for (const message of messages) transport.send("iopub", message);
  }

  private reply(request: QueuedRequest, msgType: string, content: unknown, metadata: JSONObject = {}): void {
    // What was held (busy) is handed on before the reply, as before; an execute's end flushes its own batch after it.
    this.flushHeld();
    const message = { header: newHeader(msgType, this.options.sessionId), parent_header: request.message.header, metadata, content, buffers: [] };
    this.options.transport.send(request.channel, message, request.identities);
  }

  private async handle(request: QueuedRequest): Promise<void> {
    const header = request.message.header;
    this.currentParent = header;
    const quiet = QUIET_REQUESTS.has(header.msg_type);
    // An execute's busy waits for its execute_input (the engine is awaited before the cell runs, which flushes both);
    // other requests' handlers (a comm message's callback) may run synchronously for long: their busy goes out now.
    if (header.msg_type === "execute_request") this.hold("status", { execution_state: "busy" }, header);
    else if (!quiet) this.publish("status", { execution_state: "busy" }, header);
    try {
      const typed = toShellRequest(request.message);
      if (!typed) this.log(`unknown message type "${header.msg_type}" on ${request.channel}; ignored (no reply)`);
      else if (request.aborted && typed.msg_type === "execute_request") {
        this.reply(request, "execute_reply", { status: "aborted", execution_count: this.executionCount } satisfies ExecuteReplyContent);
      } else await this.dispatch(request, typed);
    } catch (error) {
      this.log(`failed to handle ${header.msg_type}: ${(error as Error).stack ?? String(error)}`);
    } finally {
      if (quiet) this.publishStatusesSoon(header);
      else if (this.idleSentFor === header.msg_id) this.idleSentFor = undefined;
      else this.publish("status", { execution_state: "idle" }, header);
    }
  }

  private async dispatch(request: QueuedRequest, typed: ShellRequest): Promise<void> {
    switch (typed.msg_type) {
      case "kernel_info_request":
        return this.reply(request, "kernel_info_reply", this.options.kernelInfo);
      case "execute_request":
        return this.execute(request, typed);
      case "complete_request": {
        const { code, cursor_pos } = typed.content;
        return this.withEngine(request, "complete_reply", async (engine) => {
          const result = await engine.complete(code, cursor_pos);
          return { status: "ok", matches: result.matches, cursor_start: result.cursorStart, cursor_end: result.cursorEnd, metadata: result.metadata };
        });
      }
      case "inspect_request": {
        const { code, cursor_pos, detail_level } = typed.content;
        return this.withEngine(request, "inspect_reply", async (engine) => ({ status: "ok", ...(await engine.inspect(code, cursor_pos, detail_level)) }));
      }
      case "is_complete_request": {
        const { code } = typed.content;
        return this.withEngine(request, "is_complete_reply", async (engine) => {
          const result = await engine.isComplete(code);
          return result.status === "incomplete" ? { status: result.status, indent: result.indent ?? "" } : { status: result.status };
        });
      }
      case "history_request": {
        const history = this.options.history ? await this.options.history.query(typed.content) : [];
        return this.reply(request, "history_reply", { status: "ok", history });
      }
      case "comm_info_request":
        return this.reply(request, "comm_info_reply", { status: "ok", comms: this.comms.info(typed.content.target_name) });
      case "comm_open":
        return this.comms.handleOpen(typed.content.comm_id, typed.content.target_name, typed.content.data, typed.buffers);
      case "comm_msg":
        return this.comms.handleMessage(typed.content.comm_id, typed.content.data, typed.buffers, typed.metadata);
      case "comm_close":
        return this.comms.handleClose(typed.content.comm_id, typed.content.data);
      case "shutdown_request":
        this.reply(request, "shutdown_reply", { status: "ok", restart: typed.content.restart });
        return this.options.onShutdown?.(typed.content.restart);
      case "interrupt_request":
        this.interrupt();
        return this.reply(request, "interrupt_reply", { status: "ok" });
    }
  }

  private async withEngine(request: QueuedRequest, replyType: string, answer: (engine: Engine) => Promise<object>): Promise<void> {
    try {
      this.reply(request, replyType, await answer(await this.requireEngine()));
    } catch (error) {
      const { ename, evalue, traceback } = describeError(error);
      this.reply(request, replyType, { status: "error", ename, evalue, traceback });
    }
  }

  private requireEngine(): Promise<Engine> {
    return this.engine ?? Promise.reject(new Error("The kernel is still starting its TypeScript engine; try again in a moment."));
  }

  private async execute(request: QueuedRequest, message: ExecuteMessage): Promise<void> {
    const content: ExecuteRequestContent = message.content;
    const parent = message.header;
    if (content.store_history) this.executionCount++;
    const executionCount = this.executionCount;
    this.lastExecuteParent = parent;
    if (!content.silent) this.hold("execute_input", { code: content.code, execution_count: executionCount }, parent);

    const outcome = await this.runOnEngine(request, content, executionCount);
    let resultText: string | undefined;
    if (outcome.status === "ok") {
      if (outcome.result && !content.silent) {
        this.publish("execute_result", { execution_count: executionCount, data: outcome.result, metadata: outcome.resultMetadata ?? {} }, parent);
        const plain = outcome.result["text/plain"];
        resultText = typeof plain === "string" ? plain : undefined;
      }
      this.replyAndIdle(request, { status: "ok", execution_count: executionCount, payload: outcome.payload, user_expressions: outcome.userExpressions }, { status: "ok" });
    } else {
      const { ename, evalue, traceback } = outcome;
      this.publish("error", { ename, evalue, traceback }, parent);
      // Decided before the reply goes out: a request the client sends after seeing the error is never aborted.
      if (content.stop_on_error) await this.abortQueuedExecutes();
      this.replyAndIdle(request, { status: "error", execution_count: executionCount, ename, evalue, traceback }, { status: "error" });
    }
    if (content.store_history) void this.options.history?.record(executionCount, content.code, resultText);
  }

  /**
   * The execute_reply, then the idle status in the same turn: no microtask hops between the reply and the idle.
   * Every output of the cell, and its execute_result, was handed on before (outputs are sent as they come), so idle
   * still follows all of them on iopub.
   */
  private replyAndIdle(request: QueuedRequest, content: ExecuteReplyContent, metadata: JSONObject): void {
    this.reply(request, "execute_reply", content, metadata);
    this.publish("status", { execution_state: "idle" }, request.message.header);
    this.idleSentFor = request.message.header.msg_id;
  }

  private async runOnEngine(request: QueuedRequest, content: ExecuteRequestContent, executionCount: number): Promise<ExecuteOutcome> {
    const parent = request.message.header;
    try {
      const engine = await this.requireEngine();
      return await engine.execute({
        code: content.code,
        silent: content.silent,
        storeHistory: content.store_history,
        allowStdin: content.allow_stdin,
        userExpressions: content.user_expressions,
        executionCount,
        cellId: typeof request.message.metadata.cellId === "string" ? request.message.metadata.cellId : undefined,
        output: createOutputSink((msgType, data) => this.publish(msgType, data, parent)),
        input: (prompt, password) => this.requestInput(request, content.allow_stdin, prompt, password),
      });
    } catch (error) {
      return { status: "error", ...describeError(error) };
    }
  }

  private requestInput(request: QueuedRequest, allowed: boolean, prompt: string, password: boolean): Promise<string> {
    if (!allowed) {
      return Promise.reject(new Error("This frontend does not accept input (allow_stdin is false): put the value in the code instead of calling input()."));
    }
    this.pendingInput?.reject(new Error("A newer input() request replaced this one."));
    return new Promise((resolve, reject) => {
      this.pendingInput = { resolve, reject };
      const message = { header: newHeader("input_request", this.options.sessionId), parent_header: request.message.header, metadata: {}, content: { prompt, password }, buffers: [] };
      this.flushHeld();
      this.options.transport.send("stdin", message, request.identities);
    });
  }

  /** After a failed cell with stop_on_error, executes already sent are answered "aborted" (like ipykernel). */
  private async abortQueuedExecutes(): Promise<void> {
    // Let requests that reached the sockets while the cell ran (the main thread may have been blocked) reach the queue.
    const sync = this.options.transport.sync;
    await (sync ? sync.call(this.options.transport) : new Promise((resolve) => setImmediate(resolve)));
    for (const queued of this.queue) if (queued.message.header.msg_type === "execute_request") queued.aborted = true;
  }
}

export function describeError(error: unknown): { ename: string; evalue: string; traceback: string[] } {
  if (error instanceof Error) return { ename: error.name, evalue: error.message, traceback: (error.stack ?? `${error.name}: ${error.message}`).split("\n") };
  return { ename: "Error", evalue: String(error), traceback: [String(error)] };
}
