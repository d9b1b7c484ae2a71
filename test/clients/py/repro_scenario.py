"""Drives the labnote kernel through jupyter_client the way JupyterLab does: every execute_request carries the
cell's id in metadata.cellId, so re-running an edited cell replaces it in the kernel's record of the notebook.

Usage: repro_scenario.py CELLS.json OUT.json — CELLS is a list of [cell_id, code]; OUT receives, per cell, its
status and outputs. The kernel runs in the current directory (the test's project)."""
import json
import sys

from jupyter_client.manager import start_new_kernel


def run_cell(kc, cell_id, code, timeout):
    msg = kc.session.msg("execute_request", {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}, metadata={"cellId": cell_id})
    kc.shell_channel.send(msg)
    msg_id = msg["header"]["msg_id"]
    outputs = []
    while True:
        message = kc.get_iopub_msg(timeout=timeout)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind = message["msg_type"]
        content = message["content"]
        if kind in ("stream", "display_data", "execute_result", "error"):
            outputs.append({"output_type": kind, **content})
        if kind == "status" and content["execution_state"] == "idle":
            break
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return {"id": cell_id, "status": reply["content"]["status"], "outputs": outputs}


def main():
    cells = json.load(open(sys.argv[1]))
    km, kc = start_new_kernel(kernel_name="labnote", startup_timeout=120)
    results = []
    try:
        for cell_id, code in cells:
            results.append(run_cell(kc, cell_id, code, timeout=600))
            json.dump(results, open(sys.argv[2], "w"))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    json.dump(results, open(sys.argv[2], "w"))


main()
