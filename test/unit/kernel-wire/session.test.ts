import { describe, expect, it } from "vitest";
import { kernelInfo } from "../../../kernel/kernel-info.js";
import type { Channel, Message } from "../../../kernel/protocol/messages.js";
import { newHeader } from "../../../kernel/protocol/wire.js";
import { KernelSession } from "../../../kernel/session.js";
import type { Engine, ExecuteOutcome, ExecuteRequest } from "../../../kernel/types.js";

interface Sent {
  channel: Channel;
  message: Message<string, unknown>;
}

/** An engine whose cells are scripted: "fail" errors, "ask" calls input(), "print" streams, anything else returns 1. */
function scriptedEngine(): Engine & { ran: string[] } {
  const ran: string[] = [];
  return {
    ran,
    async execute(request: ExecuteRequest): Promise<ExecuteOutcome> {
      ran.push(request.code);
      if (request.code === "fail") return { status: "error", ename: "TypeError", evalue: "boom", traceback: ["TypeError: boom"] };
      if (request.code === "ask") {
        const answer = await request.input("name? ", false);
        return { status: "ok", result: { "text/plain": `hello ${answer}` }, payload: [], userExpressions: {} };
      }
      if (request.code === "print") request.output.stream("stdout", "printed\n");
      return { status: "ok", result: { "text/plain": "1" }, payload: [], userExpressions: {} };
    },
    async complete() {
      throw new Error("completion broke");
    },
    async inspect() {
      return { found: true, data: { "text/plain": "doc" }, metadata: {} };
    },
    async isComplete(code: string) {
      return code.endsWith("{") ? { status: "incomplete" as const, indent: "  " } : { status: "complete" as const };
    },
    interrupt() {},
    addCellHooks() {},
    async shutdown() {},
  };
}

function harness() {
  const sent: Sent[] = [];
  const logs: string[] = [];
  const session = new KernelSession({
    transport: { send: (channel, message) => sent.push({ channel, message }) },
    sessionId: "kernel-session",
    kernelInfo: kernelInfo(),
    log: (message) => logs.push(message),
  });
  const engine = scriptedEngine();
  session.setEngine(Promise.resolve(engine));
  const send = (msgType: string, content: Record<string, unknown>, channel: "shell" | "control" = "shell"): Message => {
    const message = { header: newHeader(msgType, "client"), parent_header: {}, metadata: {}, content: content as Message["content"], buffers: [] };
    session.receive(channel, [new Uint8Array([7])], message);
    return message;
  };
  const idle = async (request: Message): Promise<void> => {
    for (let i = 0; i < 200; i++) {
      if (sent.some((s) => s.message.header.msg_type === "status" && (s.message.content as { execution_state: string }).execution_state === "idle" &&
          "msg_id" in s.message.parent_header && s.message.parent_header.msg_id === request.header.msg_id)) return;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    throw new Error(`no idle for ${request.header.msg_type}`);
  };
  const about = (request: Message) => sent.filter((s) => "msg_id" in s.message.parent_header && s.message.parent_header.msg_id === request.header.msg_id);
  return { session, engine, sent, logs, send, idle, about };
}

const types = (messages: Sent[]) => messages.map((s) => `${s.channel}:${s.message.header.msg_type}`);

describe("kernel session dispatcher", () => {
  it("wraps an execute in busy … idle with execute_input, outputs, execute_result and the reply, all parented to it", async () => {
    const { send, idle, about } = harness();
    const request = send("execute_request", { code: "print" });
    await idle(request);
    expect(types(about(request))).toEqual([
      "iopub:status", "iopub:execute_input", "iopub:stream", "iopub:execute_result", "shell:execute_reply", "iopub:status",
    ]);
    const reply = about(request).find((s) => s.message.header.msg_type === "execute_reply")!.message.content;
    expect(reply).toMatchObject({ status: "ok", execution_count: 1 });
  });

  it("sends exactly one error output on failure and aborts executes queued behind it when stop_on_error", async () => {
    const { send, idle, about, engine } = harness();
    const failing = send("execute_request", { code: "fail" });
    const queued = send("execute_request", { code: "never runs" });
    const later = send("execute_request", { code: "also queued", stop_on_error: true });
    await idle(later);
    expect(types(about(failing)).filter((t) => t === "iopub:error")).toHaveLength(1);
    expect(about(failing).find((s) => s.message.header.msg_type === "execute_reply")!.message.content).toMatchObject({ status: "error", ename: "TypeError", evalue: "boom" });
    expect(about(queued).find((s) => s.message.header.msg_type === "execute_reply")!.message.content).toMatchObject({ status: "aborted" });
    expect(engine.ran).toEqual(["fail"]);
    const next = send("execute_request", { code: "runs again" });
    await idle(next);
    expect(engine.ran).toEqual(["fail", "runs again"]);
  });

  it("does not count silent executes and publishes nothing but status for them", async () => {
    const { send, idle, about } = harness();
    const silent = send("execute_request", { code: "print", silent: true });
    await idle(silent);
    expect(types(about(silent))).toEqual(["iopub:status", "iopub:stream", "shell:execute_reply", "iopub:status"]);
    const counted = send("execute_request", { code: "x" });
    await idle(counted);
    expect(about(counted).find((s) => s.message.header.msg_type === "execute_reply")!.message.content).toMatchObject({ execution_count: 1 });
  });

  it("round-trips input() over stdin to the requesting client, and refuses it when allow_stdin is false", async () => {
    const { session, send, idle, about, sent } = harness();
    const asking = send("execute_request", { code: "ask" });
    for (let i = 0; i < 100 && !sent.some((s) => s.channel === "stdin"); i++) await new Promise((resolve) => setTimeout(resolve, 1));
    const inputRequest = sent.find((s) => s.channel === "stdin")!;
    expect(inputRequest.message.content).toEqual({ prompt: "name? ", password: false });
    session.receiveInputReply({ header: newHeader("input_reply", "client"), parent_header: inputRequest.message.header, metadata: {}, content: { value: "Ada" }, buffers: [] });
    await idle(asking);
    const result = about(asking).find((s) => s.message.header.msg_type === "execute_result")!.message.content;
    expect(result).toMatchObject({ data: { "text/plain": "hello Ada" } });
    const refused = send("execute_request", { code: "ask", allow_stdin: false });
    await idle(refused);
    expect(about(refused).find((s) => s.message.header.msg_type === "execute_reply")!.message.content).toMatchObject({ status: "error", evalue: expect.stringMatching(/allow_stdin/) });
  });

  it("answers an engine failure in complete with an error reply, is_complete with an indent, and unknown types with a log only", async () => {
    const { send, idle, about, logs } = harness();
    const complete = send("complete_request", { code: "con", cursor_pos: 3 });
    await idle(complete);
    expect(about(complete).find((s) => s.channel === "shell")!.message.content).toMatchObject({ status: "error", evalue: "completion broke" });
    const incomplete = send("is_complete_request", { code: "if (x) {" });
    await idle(incomplete);
    expect(about(incomplete).find((s) => s.channel === "shell")!.message.content).toEqual({ status: "incomplete", indent: "  " });
    const unknown = send("frobnicate_request", {});
    await idle(unknown);
    expect(types(about(unknown))).toEqual(["iopub:status", "iopub:status"]);
    expect(logs.join("\n")).toMatch(/unknown message type "frobnicate_request"/);
  });

  it("answers comm_open to an unknown target with comm_close on iopub, parented to the comm_open", async () => {
    const { send, idle, about } = harness();
    const open = send("comm_open", { comm_id: "abc", target_name: "nobody", data: {} });
    await idle(open);
    expect(types(about(open))).toEqual(["iopub:status", "iopub:comm_close", "iopub:status"]);
  });

  it("hands an execute's busy and execute_input on in one batch, and its idle in the same turn as the reply", async () => {
    // Each batch is one hop to the io worker; a microtask queued when the reply is sent must not run before the idle.
    const log: string[] = [];
    const session = new KernelSession({
      transport: {
        send: (channel, message) => {
          const state = (message.content as { execution_state?: string }).execution_state;
          log.push(`${channel}:${state ?? message.header.msg_type}`);
          if (message.header.msg_type === "execute_reply") queueMicrotask(() => log.push("microtask after the reply"));
        },
        sendBatch: (messages) => log.push(`batch[${messages.map((m) => (m.content as { execution_state?: string }).execution_state ?? m.header.msg_type).join(",")}]`),
      },
      sessionId: "kernel-session",
      kernelInfo: kernelInfo(),
      log: () => undefined,
    });
    session.setEngine(Promise.resolve(scriptedEngine()));
    const request = (code: string): Message => {
      const message = { header: newHeader("execute_request", "client"), parent_header: {}, metadata: {}, content: { code } as Message["content"], buffers: [] };
      session.receive("shell", [new Uint8Array([7])], message);
      return message;
    };
    request("print");
    request("1");
    for (let i = 0; i < 200 && log.filter((entry) => entry === "iopub:idle").length < 2; i++) await new Promise((resolve) => setTimeout(resolve, 1));
    const once = ["batch[busy,execute_input]", "iopub:execute_result", "shell:execute_reply", "iopub:idle", "microtask after the reply"];
    expect(log).toEqual([
      "batch[busy,execute_input]", "iopub:stream", ...once.slice(1),
      ...once,
    ]);
  });
});
