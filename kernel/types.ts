// Contracts shared by the wire layer (kernel/protocol, io worker), the execution engine (kernel/engine),
// the magics and the widgets. Keep this file free of runtime imports: everything here is a type.

/** A Jupyter MIME bundle: mime type → data (string, or JSON for +json types). */
export type MimeBundle = Record<string, unknown>;
export type JSONObject = { [key: string]: JSONValue };
export type JSONValue = string | number | boolean | null | JSONValue[] | JSONObject;

/** Where a cell's outputs go. Every call becomes one iopub message parented to the cell's execute_request. */
export interface OutputSink {
  stream(name: "stdout" | "stderr", text: string): void;
  displayData(data: MimeBundle, metadata?: JSONObject, transient?: { display_id?: string }): void;
  updateDisplayData(data: MimeBundle, metadata: JSONObject | undefined, transient: { display_id: string }): void;
  clearOutput(wait: boolean): void;
}

/** Jupyter comms (comm_open / comm_msg / comm_close), used by widgets and magics. */
export interface Comm {
  readonly id: string;
  readonly targetName: string;
  send(data: JSONObject, metadata?: JSONObject, buffers?: ArrayBuffer[] | Uint8Array[]): void;
  close(data?: JSONObject, metadata?: JSONObject): void;
  onMessage(handler: (data: JSONObject, buffers: Uint8Array[], metadata: JSONObject) => void): void;
  onClose(handler: (data: JSONObject) => void): void;
  readonly closed: boolean;
}

export interface CommManager {
  /** Frontend-initiated comms for `targetName` are passed to `handler`; unknown targets are answered with comm_close. */
  registerTarget(targetName: string, handler: (comm: Comm, data: JSONObject, buffers: Uint8Array[]) => void): void;
  unregisterTarget(targetName: string): void;
  /** Kernel-initiated comm (sends comm_open on iopub). */
  open(targetName: string, data?: JSONObject, metadata?: JSONObject, buffers?: Uint8Array[]): Comm;
  /** Open comms, optionally filtered by target (answers comm_info_request). */
  list(targetName?: string): Comm[];
}

/** Information about the running kernel session that magics and libraries may need. */
export interface SessionInfo {
  /** The notebook's directory: the project directory, cwd of the kernel. */
  readonly projectDir: string;
  /** Absolute path of the notebook when the frontend told us (JPY_SESSION_NAME / session metadata), else undefined. */
  readonly notebookPath: string | undefined;
  readonly kernelId: string;
  /** execution_count of the cell being run. */
  readonly executionCount: number;
  /** The full source of the cell being run, magics included. */
  readonly cellCode: string;
}

/** Called around every executed cell, in registration order. Used by %version's auto-snapshot. */
export interface CellHooks {
  beforeCell?(cell: { code: string; executionCount: number; startedAt: Date }): void;
  afterCell?(cell: CellRecord): void;
}

export interface CellRecord {
  code: string;
  executionCount: number;
  startedAt: Date;
  durationMs: number;
  status: "ok" | "error" | "aborted";
  /** Summary of outputs produced: counts per output type and the mime types seen. */
  outputs: { streams: number; displays: number; errors: number; mimeTypes: string[]; result?: string };
  error?: { ename: string; evalue: string };
  /** The frontend's id for the cell (execute_request metadata.cellId, sent by JupyterLab, Notebook 7, VS Code). */
  cellId?: string;
  /** Everything the cell showed, as nbformat outputs (the kernel's own record, see kernel/engine/output-record.ts). */
  outputList?: NotebookOutput[];
}

/** One nbformat v4 output; display_data keeps its display_id so later updates can find it. */
export type NotebookOutput =
  | { output_type: "stream"; name: "stdout" | "stderr"; text: string }
  | { output_type: "display_data"; data: MimeBundle; metadata: JSONObject; displayId?: string }
  | { output_type: "execute_result"; execution_count: number; data: MimeBundle; metadata: JSONObject }
  | { output_type: "error"; ename: string; evalue: string; traceback: string[] };

/** One execute_request as the engine sees it (the wire layer owns sockets, counts and history). */
export interface ExecuteRequest {
  code: string;
  silent: boolean;
  storeHistory: boolean;
  allowStdin: boolean;
  userExpressions: Record<string, string>;
  executionCount: number;
  /** The frontend's cell id (execute_request metadata.cellId), when it sent one. */
  cellId?: string | undefined;
  output: OutputSink;
  /** Sends input_request on stdin and resolves with the reply; rejects with a clear error when allow_stdin is false. */
  input(prompt: string, password: boolean): Promise<string>;
}

export type ExecuteOutcome =
  | {
      status: "ok";
      /** The execute_result bundle (last expression, or a magic's result), if any. */
      result?: MimeBundle;
      resultMetadata?: JSONObject;
      /** execute_reply payloads, e.g. { source: "page", data: { "text/plain": … }, start: 0 }. */
      payload: JSONObject[];
      userExpressions: Record<string, JSONObject>;
    }
  | { status: "error"; ename: string; evalue: string; traceback: string[] };

export interface CompleteResult {
  matches: string[];
  cursorStart: number;
  cursorEnd: number;
  metadata: JSONObject;
}

export interface InspectResult {
  found: boolean;
  data: MimeBundle;
  metadata: JSONObject;
}

/** The execution engine (TypeScript via tslab, magics, display). Lives in the main thread of the kernel process. */
export interface Engine {
  execute(request: ExecuteRequest): Promise<ExecuteOutcome>;
  complete(code: string, cursorPos: number): Promise<CompleteResult>;
  inspect(code: string, cursorPos: number, detailLevel: number): Promise<InspectResult>;
  isComplete(code: string): Promise<{ status: "complete" | "incomplete" | "invalid" | "unknown"; indent?: string }>;
  /** Stop the running cell (SIGINT in signal mode, interrupt_request in message mode). Defined state survives. */
  interrupt(): void;
  addCellHooks(hooks: CellHooks): void;
  shutdown(): Promise<void>;
}

export interface EngineOptions {
  projectDir: string;
  kernelId: string;
  notebookPath: string | undefined;
  comms: CommManager;
  /** The TypeScript compiler is built in the background once this settles (default: at once). */
  warmUpAfter?: Promise<unknown>;
}
