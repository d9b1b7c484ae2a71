// ipywidgets protocol 2.1 through a real Jupyter client (Debian's jupyter_client) on the labnote kernel: the
// frontend's `jupyter.widget.control` comm answers request_states, a progress bar becomes an IntProgress widget
// (comm_open on iopub with {state, buffer_paths} and metadata {version: "2.1.0"}), comm_info lists it, and the
// widget answers request_state and echoes frontend updates. Needs the kernel to install the widget manager at
// start (installWidgetManager(comms) from widgets/ipywidgets/manager.ts).
import { execFile } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ARTIFACTS, ensureKernelspec, kernelEnv, PYTHON } from "../helpers/jupyter.js";

const CLIENT = String.raw`
import json, sys, uuid
from queue import Empty
from jupyter_client.manager import KernelManager

TIMEOUT = 60
km = KernelManager(kernel_name="labnote")
km.start_kernel(cwd=sys.argv[1])
kc = km.client()
kc.start_channels()
observed = {}

def iopub_until_idle(parent_id):
    messages = []
    while True:
        msg = kc.get_iopub_msg(timeout=TIMEOUT)
        if msg["parent_header"].get("msg_id") != parent_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return messages

def comm_send(msg_type, content):
    msg = kc.session.msg(msg_type, content)
    kc.shell_channel.send(msg)
    return iopub_until_idle(msg["header"]["msg_id"])

def comm_info(target):
    msg_id = kc.comm_info(target_name=target)
    reply = kc.get_shell_msg(timeout=TIMEOUT)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=TIMEOUT)
    return reply["content"]

def summary(msg):
    content = msg["content"]
    return {"type": msg["msg_type"], "content": content, "metadata": msg["metadata"], "buffers": [list(bytes(b)) for b in msg.get("buffers", [])]}

try:
    kc.wait_for_ready(timeout=TIMEOUT)
    warm = kc.execute("%lsmagic")  # a magic cell waits until the engine has loaded its magics and run their set-up
    iopub_until_idle(warm)
    observed["info_before"] = comm_info("jupyter.widget")
    control_id = uuid.uuid4().hex
    opened = comm_send("comm_open", {"comm_id": control_id, "target_name": "jupyter.widget.control", "data": {}})
    observed["control_open"] = [summary(m) for m in opened if m["msg_type"].startswith("comm")]
    states = comm_send("comm_msg", {"comm_id": control_id, "data": {"method": "request_states"}})
    observed["states_before"] = [summary(m) for m in states if m["msg_type"] == "comm_msg"]

    code = (
        'import { createProgress } from "labnote/widgets/progress.js";\n'
        'const bar = createProgress(display, { total: 4, description: "epochs", throttleMs: 0 });\n'
        'for (let epoch = 1; epoch <= 4; epoch++) bar.update(epoch);\n'
        'bar.done();'
    )
    cell = kc.execute(code)
    observed["cell"] = [summary(m) for m in iopub_until_idle(cell) if m["msg_type"] in ("comm_open", "comm_msg", "display_data", "update_display_data", "error", "stream")]
    observed["info_after"] = comm_info("jupyter.widget")
    states = comm_send("comm_msg", {"comm_id": control_id, "data": {"method": "request_states"}})
    observed["states_after"] = [summary(m) for m in states if m["msg_type"] == "comm_msg"]

    bar_id = next(m["content"]["comm_id"] for m in observed["cell"] if m["type"] == "comm_open" and m["content"]["data"]["state"]["_model_name"] == "IntProgressModel")
    observed["bar_id"] = bar_id
    echo = comm_send("comm_msg", {"comm_id": bar_id, "data": {"method": "update", "state": {"description": "renamed"}, "buffer_paths": []}})
    observed["echo"] = [summary(m) for m in echo if m["msg_type"] == "comm_msg"]
    state = comm_send("comm_msg", {"comm_id": bar_id, "data": {"method": "request_state"}})
    observed["request_state"] = [summary(m) for m in state if m["msg_type"] == "comm_msg"]
finally:
    print(json.dumps(observed))
    kc.stop_channels()
    km.shutdown_kernel(now=True)
`;

interface Observed {
  content: { comm_id: string; target_name?: string; data: Record<string, unknown> };
  metadata: Record<string, unknown>;
  type: string;
  buffers: number[][];
}

function runClient(projectDir: string): Promise<Record<string, unknown>> {
  return new Promise((resolveRun, reject) => {
    execFile(PYTHON, ["-c", CLIENT, projectDir], { env: kernelEnv(), cwd: projectDir, maxBuffer: 16 * 1024 * 1024, timeout: 180_000 }, (error, stdout, stderr) => {
      const line = stdout.trim().split("\n").at(-1) ?? "";
      try {
        resolveRun(JSON.parse(line) as Record<string, unknown>);
      } catch {
        reject(new Error(`widget client failed: ${error?.message ?? ""}\n${stderr.slice(-3000)}`));
      }
    });
  });
}

describe("ipywidgets protocol 2.1 through jupyter_client", () => {
  it("answers the control comm, opens an IntProgress widget, lists it, echoes updates and answers request_state", async () => {
    ensureKernelspec();
    const projectDir = join(ARTIFACTS, `widgets-client-${Date.now()}`);
    mkdirSync(projectDir, { recursive: true });
    const observed = await runClient(projectDir);

    expect(observed.info_before).toEqual({ status: "ok", comms: {} });
    // The control comm stays open (an unknown target would be answered with comm_close) and lists no widgets yet.
    expect((observed.control_open as Observed[]).filter((m) => m.type === "comm_close")).toEqual([]);
    const before = (observed.states_before as Observed[])[0]!;
    expect(before.content.data).toEqual({ method: "update_states", states: {}, buffer_paths: [] });

    const cell = observed.cell as Observed[];
    expect(cell.filter((m) => m.type === "error")).toEqual([]);
    const opens = cell.filter((m) => m.type === "comm_open");
    const bar = opens.find((m) => (m.content.data.state as Record<string, unknown>)._model_name === "IntProgressModel")!;
    expect(bar.content.target_name).toBe("jupyter.widget");
    expect(bar.metadata).toEqual({ version: "2.1.0" });
    expect(bar.content.data.buffer_paths).toEqual([]);
    expect(bar.content.data.state).toMatchObject({
      _model_module: "@jupyter-widgets/controls",
      _model_module_version: "2.0.0",
      _view_name: "ProgressView",
      value: 0,
      max: 4,
      description: "epochs",
    });
    const display = cell.find((m) => m.type === "display_data")!;
    expect((display.content as unknown as { data: Record<string, unknown> }).data["application/vnd.jupyter.widget-view+json"]).toEqual({ version_major: 2, version_minor: 1, model_id: bar.content.comm_id });
    const updates = cell.filter((m) => m.type === "comm_msg" && m.content.comm_id === bar.content.comm_id).map((m) => m.content.data);
    const expected: Record<string, unknown>[] = [1, 2, 3, 4].map((value) => ({ method: "update", state: { value }, buffer_paths: [] }));
    expect(updates).toEqual([...expected, { method: "update", state: { bar_style: "success" }, buffer_paths: [] }]);

    // comm_info lists the widget and its layout and style models.
    const info = observed.info_after as { comms: Record<string, { target_name: string }> };
    expect(info.comms[bar.content.comm_id]).toEqual({ target_name: "jupyter.widget" });
    expect(Object.keys(info.comms)).toHaveLength(opens.length);

    const after = (observed.states_after as Observed[])[0]!.content.data as { states: Record<string, { model_name: string; state: Record<string, unknown> }> };
    expect(after.states[bar.content.comm_id]).toMatchObject({ model_name: "IntProgressModel", state: { value: 4, max: 4, bar_style: "success" } });

    expect((observed.echo as Observed[])[0]!.content.data).toEqual({ method: "echo_update", state: { description: "renamed" }, buffer_paths: [] });
    const full = (observed.request_state as Observed[])[0]!.content.data as { method: string; state: Record<string, unknown> };
    expect(full.method).toBe("update");
    expect(full.state).toMatchObject({ _model_name: "IntProgressModel", description: "renamed", value: 4 });
  }, 200_000);
});
