// Turns a verified message's JSON content into the typed request it claims to be, with the protocol's defaults.
// Frontends omit optional fields freely; a wrong type falls back to the default instead of reaching the engine.
import type { JSONObject, JSONValue } from "../types.js";
import type {
  CommCloseContent,
  CommInfoRequestContent,
  CommMsgContent,
  CommOpenContent,
  CompleteRequestContent,
  ExecuteRequestContent,
  HistoryRequestContent,
  InspectRequestContent,
  IsCompleteRequestContent,
  Message,
  ShellRequest,
  ShutdownRequestContent,
} from "./messages.js";

const text = (value: JSONValue | undefined, fallback = ""): string => (typeof value === "string" ? value : fallback);
const flag = (value: JSONValue | undefined, fallback: boolean): boolean => (typeof value === "boolean" ? value : fallback);
const integer = (value: JSONValue | undefined): number | undefined => (typeof value === "number" && Number.isFinite(value) ? Math.trunc(value) : undefined);
const object = (value: JSONValue | undefined): JSONObject =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? value : {};

function execute(content: JSONObject): ExecuteRequestContent {
  const silent = flag(content.silent, false);
  const expressions = Object.entries(object(content.user_expressions)).filter((entry): entry is [string, string] => typeof entry[1] === "string");
  return {
    code: text(content.code),
    silent,
    store_history: silent ? false : flag(content.store_history, true),
    user_expressions: Object.fromEntries(expressions),
    allow_stdin: flag(content.allow_stdin, true),
    stop_on_error: flag(content.stop_on_error, true),
  };
}

function cursor(content: JSONObject): CompleteRequestContent {
  const code = text(content.code);
  return { code, cursor_pos: Math.min(Math.max(integer(content.cursor_pos) ?? code.length, 0), code.length) };
}

function inspect(content: JSONObject): InspectRequestContent {
  return { ...cursor(content), detail_level: integer(content.detail_level) ?? 0 };
}

function history(content: JSONObject): HistoryRequestContent {
  const access = content.hist_access_type;
  return {
    output: flag(content.output, false),
    raw: flag(content.raw, true),
    hist_access_type: access === "range" || access === "search" ? access : "tail",
    session: integer(content.session),
    start: integer(content.start),
    stop: integer(content.stop),
    n: integer(content.n),
    pattern: typeof content.pattern === "string" ? content.pattern : undefined,
    unique: flag(content.unique, false),
  };
}

const isComplete = (content: JSONObject): IsCompleteRequestContent => ({ code: text(content.code) });
const commInfo = (content: JSONObject): CommInfoRequestContent =>
  typeof content.target_name === "string" ? { target_name: content.target_name } : {};
const commOpen = (content: JSONObject): CommOpenContent => ({
  comm_id: text(content.comm_id),
  target_name: text(content.target_name),
  data: object(content.data),
});
const commMsg = (content: JSONObject): CommMsgContent => ({ comm_id: text(content.comm_id), data: object(content.data) });
const commClose = (content: JSONObject): CommCloseContent => ({ comm_id: text(content.comm_id), data: object(content.data) });
const shutdown = (content: JSONObject): ShutdownRequestContent => ({ restart: flag(content.restart, false) });

/** The typed request, or undefined for a msg_type this kernel does not implement. */
export function toShellRequest(message: Message): ShellRequest | undefined {
  const { content } = message;
  const msgType = message.header.msg_type;
  const typed = <T extends ShellRequest>(value: T["content"]): T => ({ ...message, msg_type: msgType, content: value }) as T;
  switch (msgType) {
    case "kernel_info_request":
    case "interrupt_request":
      return typed({});
    case "execute_request":
      return typed(execute(content));
    case "complete_request":
      return typed(cursor(content));
    case "inspect_request":
      return typed(inspect(content));
    case "is_complete_request":
      return typed(isComplete(content));
    case "history_request":
      return typed(history(content));
    case "comm_info_request":
      return typed(commInfo(content));
    case "comm_open":
      return typed(commOpen(content));
    case "comm_msg":
      return typed(commMsg(content));
    case "comm_close":
      return typed(commClose(content));
    case "shutdown_request":
      return typed(shutdown(content));
    default:
      return undefined;
  }
}
