"""What the jupyter_client fault scripts share: start a kernel, run a cell, collect its reply and iopub to idle."""
import time
from queue import Empty

from jupyter_client.manager import KernelManager

TIMEOUT = 120


def start(kernel_name, cwd):
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(cwd=cwd)
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=TIMEOUT)
    return km, kc


def drain_iopub(kc, parent_id, timeout=TIMEOUT):
    """All iopub messages of one request, up to and including its idle status."""
    messages = []
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") != parent_id:
            continue
        messages.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    return messages


def shell_reply(kc, msg_id, timeout=TIMEOUT):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_shell_msg(timeout=1)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg
    raise TimeoutError(f"no shell reply to {msg_id}")


def run(kc, code, **kwargs):
    """Executes code; returns the execute_reply's content and the request's iopub messages up to idle."""
    msg_id = kc.execute(code, **kwargs)
    reply = shell_reply(kc, msg_id)
    return reply["content"], drain_iopub(kc, msg_id)


def streams(outputs, name=None):
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and (name is None or m["content"]["name"] == name))


def results(outputs):
    return [m["content"]["data"].get("text/plain") for m in outputs if m["msg_type"] == "execute_result"]
