"""Per-hop timing of one kernel's execute, without jupyter_client's message parsing in the way.

Usage: JUPYTER_PATH=... python3 bench/kernel_hops.py KERNEL_NAME [ROUNDS]
Starts the kernel with jupyter_client, then talks to shell and iopub with raw pyzmq: each execute_request is
signed and sent by hand, and the arrival of every frame parented to it (busy, execute_input, execute_result, the
execute_reply, idle) is timestamped on arrival, before any JSON of it is parsed. Prints the median ms after the send
for each, for an unchanged `1 + 1` and a new expression each round. What jupyter_client adds on top (verifying and
parsing each iopub message after the reply: ~1.5–2 ms for four messages on a loaded 2-core machine) is the same for
every kernel and not shown here.
"""
import hashlib
import hmac
import json
import statistics
import sys
import tempfile
import time
import uuid

import zmq
from jupyter_client.manager import KernelManager


def main():
    name, rounds = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 200
    km = KernelManager(kernel_name=name)
    km.start_kernel(cwd=tempfile.mkdtemp(prefix="kernel-hops-"))
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=120)
    kc.stop_channels()
    info = km.get_connection_info()
    key = info["key"] if isinstance(info["key"], bytes) else info["key"].encode()
    ctx = zmq.Context()
    url = lambda port: f"{info['transport']}://{info['ip']}:{info[port]}"
    shell = ctx.socket(zmq.DEALER)
    shell.connect(url("shell_port"))
    iopub = ctx.socket(zmq.SUB)
    iopub.setsockopt(zmq.SUBSCRIBE, b"")
    iopub.connect(url("iopub_port"))
    time.sleep(0.5)
    session = uuid.uuid4().hex
    poller = zmq.Poller()
    poller.register(shell, zmq.POLLIN)
    poller.register(iopub, zmq.POLLIN)

    def execute(code):
        msg_id = uuid.uuid4().hex
        header = {"msg_id": msg_id, "msg_type": "execute_request", "session": session, "username": "bench", "date": "2026-01-01T00:00:00Z", "version": "5.3"}
        content = {"code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}
        parts = [json.dumps(header).encode(), b"{}", b"{}", json.dumps(content).encode()]
        signature = hmac.new(key, digestmod=hashlib.sha256)
        for part in parts:
            signature.update(part)
        started = time.perf_counter()
        shell.send_multipart([b"<IDS|MSG>", signature.hexdigest().encode()] + parts)
        seen = {}
        while "idle" not in seen or "reply" not in seen:
            ready = poller.poll(30000)
            if not ready:
                raise TimeoutError(f"no reply or idle for {code!r}")
            for socket, _ in ready:
                frames = socket.recv_multipart()
                at = (time.perf_counter() - started) * 1000
                split = frames.index(b"<IDS|MSG>")
                if json.loads(frames[split + 3]).get("msg_id") != msg_id:
                    continue
                kind = json.loads(frames[split + 2])["msg_type"]
                if socket is shell:
                    kind = "reply"
                elif kind == "status":
                    kind = json.loads(frames[split + 5])["execution_state"]
                seen.setdefault(kind, at)
        return seen

    try:
        for _ in range(10):
            execute("1 + 1")
        time.sleep(1.0)
        for label, code in [("1 + 1", lambda i: "1 + 1"), ("new text", lambda i: f"{i} + 1")]:
            runs = [execute(code(i)) for i in range(rounds)]
            hops = ["busy", "execute_input", "execute_result", "reply", "idle"]
            medians = " ".join(f"{hop} {statistics.median([run[hop] for run in runs if hop in run]):.2f}" for hop in hops)
            print(f"{name} {label}: ms after the send, median of {rounds}: {medians}")
    finally:
        shell.close(0)
        iopub.close(0)
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
