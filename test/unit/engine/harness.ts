// A labnote engine driven in-process, recording every output the wire layer would send.
import { createEngine, type EngineExtras } from "../../../kernel/engine.js";
import type { Comm, CommManager, Engine, ExecuteOutcome, JSONObject, MimeBundle } from "../../../kernel/types.js";

export type RecordedOutput =
  | { type: "stream"; name: "stdout" | "stderr"; text: string }
  | { type: "display_data"; data: MimeBundle; transient?: { display_id?: string } }
  | { type: "update_display_data"; data: MimeBundle; transient: { display_id: string } }
  | { type: "clear_output"; wait: boolean };

export interface CellRun {
  outcome: ExecuteOutcome;
  outputs: RecordedOutput[];
  stdout: string;
  stderr: string;
}

const noComms: CommManager = {
  registerTarget() {},
  unregisterTarget() {},
  open(): Comm {
    throw new Error("no comms in unit tests");
  },
  list: () => [],
};

export interface Harness {
  engine: Engine;
  run(
    code: string,
    options?: { allowStdin?: boolean; inputs?: string[]; userExpressions?: Record<string, string>; onOutput?: (output: RecordedOutput) => void },
  ): Promise<CellRun>;
  /** Outputs that arrived after the cell ended (timers), by execution count. */
  late: Map<number, RecordedOutput[]>;
}

export function createHarness(projectDir: string, extras: EngineExtras = {}): Harness {
  process.env.LABNOTE_AUTOSNAPSHOT = "off";
  const engine = createEngine({ projectDir, kernelId: "test-kernel", notebookPath: undefined, comms: noComms }, extras);
  let count = 0;
  const late = new Map<number, RecordedOutput[]>();
  return {
    engine,
    late,
    async run(code, options = {}) {
      const executionCount = ++count;
      const outputs: RecordedOutput[] = [];
      let finished = false;
      const record = (output: RecordedOutput): void => {
        options.onOutput?.(output);
        if (finished) {
          const list = late.get(executionCount) ?? [];
          list.push(output);
          late.set(executionCount, list);
        } else outputs.push(output);
      };
      const inputs = [...(options.inputs ?? [])];
      const outcome = await engine.execute({
        code,
        silent: false,
        storeHistory: true,
        allowStdin: options.allowStdin ?? false,
        userExpressions: options.userExpressions ?? {},
        executionCount,
        output: {
          stream: (name, text) => record({ type: "stream", name, text }),
          displayData: (data, _metadata?: JSONObject, transient?) => record({ type: "display_data", data, transient }),
          updateDisplayData: (data, _metadata, transient) => record({ type: "update_display_data", data, transient }),
          clearOutput: (wait) => record({ type: "clear_output", wait }),
        },
        input: async (prompt) => {
          record({ type: "stream", name: "stdout", text: prompt });
          return inputs.shift() ?? "";
        },
      });
      finished = true;
      const text = (name: string) =>
        outputs
          .filter((o): o is Extract<RecordedOutput, { type: "stream" }> => o.type === "stream" && o.name === name)
          .map((o) => o.text)
          .join("");
      return { outcome, outputs, stdout: text("stdout"), stderr: text("stderr") };
    },
  };
}

export function resultText(run: CellRun): string | undefined {
  return run.outcome.status === "ok" ? (run.outcome.result?.["text/plain"] as string | undefined) : undefined;
}
