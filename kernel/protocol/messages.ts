// The Jupyter messaging protocol (5.3) as typed, discriminated unions: one module, no `any` on the wire path.
import type { JSONObject, MimeBundle } from "../types.js";

export const PROTOCOL_VERSION = "5.3";

export interface Header<T extends string = string> {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: T;
  version: string;
}

/** A message as it travels between the io worker and the main thread (already verified and parsed). */
export interface Message<T extends string = string, C = JSONObject> {
  header: Header<T>;
  /** Empty object when the message has no parent. */
  parent_header: Header | Record<string, never>;
  metadata: JSONObject;
  content: C;
  buffers: Uint8Array[];
}

export type Channel = "shell" | "control" | "stdin" | "iopub";

// ---- requests (frontend → kernel) ----

export interface ExecuteRequestContent {
  code: string;
  silent: boolean;
  store_history: boolean;
  user_expressions: Record<string, string>;
  allow_stdin: boolean;
  stop_on_error: boolean;
}
export interface CompleteRequestContent { code: string; cursor_pos: number }
export interface InspectRequestContent { code: string; cursor_pos: number; detail_level: number }
export interface IsCompleteRequestContent { code: string }
export interface HistoryRequestContent {
  output: boolean;
  raw: boolean;
  hist_access_type: "range" | "tail" | "search";
  session?: number;
  start?: number;
  stop?: number;
  n?: number;
  pattern?: string;
  unique?: boolean;
}
export interface CommInfoRequestContent { target_name?: string }
export interface CommOpenContent { comm_id: string; target_name: string; data: JSONObject; target_module?: string }
export interface CommMsgContent { comm_id: string; data: JSONObject }
export interface CommCloseContent { comm_id: string; data: JSONObject }
export interface ShutdownRequestContent { restart: boolean }
export interface InputReplyContent { value: string }

/** A verified request with typed content; `msg_type` is repeated at the top so the compiler narrows on it. */
export type Request<T extends string, C> = Message<T, C> & { readonly msg_type: T };

export type ShellRequest =
  | Request<"kernel_info_request", Record<string, never>>
  | Request<"execute_request", ExecuteRequestContent>
  | Request<"complete_request", CompleteRequestContent>
  | Request<"inspect_request", InspectRequestContent>
  | Request<"is_complete_request", IsCompleteRequestContent>
  | Request<"history_request", HistoryRequestContent>
  | Request<"comm_info_request", CommInfoRequestContent>
  | Request<"comm_open", CommOpenContent>
  | Request<"comm_msg", CommMsgContent>
  | Request<"comm_close", CommCloseContent>
  | Request<"shutdown_request", ShutdownRequestContent>
  | Request<"interrupt_request", Record<string, never>>;

export type StdinReply = Message<"input_reply", InputReplyContent>;

export type ShellRequestType = ShellRequest["msg_type"];

// ---- replies and iopub (kernel → frontend) ----

export interface LanguageInfo {
  name: string;
  version: string;
  mimetype: string;
  file_extension: string;
  pygments_lexer: string;
  codemirror_mode: string;
  nbconvert_exporter: string;
}

export interface KernelInfoReplyContent {
  status: "ok";
  protocol_version: string;
  implementation: string;
  implementation_version: string;
  language_info: LanguageInfo;
  banner: string;
  help_links: { text: string; url: string }[];
  debugger: boolean;
}

export type ErrorContent = { ename: string; evalue: string; traceback: string[] };

export type ExecuteReplyContent =
  | { status: "ok"; execution_count: number; payload: JSONObject[]; user_expressions: Record<string, JSONObject> }
  | ({ status: "error"; execution_count: number } & ErrorContent)
  | { status: "aborted"; execution_count: number };

export type HistoryEntry = [number, number, string | [string, string | null]];

export interface StreamContent { name: "stdout" | "stderr"; text: string }
export interface DisplayDataContent { data: MimeBundle; metadata: JSONObject; transient: { display_id?: string } }
