"""Runs %backend on a labnote kernel whose stdout and stderr go to a file, and reports both.

Usage: backend_noise.py KERNEL_NAME PROJECT_DIR LOG_FILE
Prints one JSON object: the %backend result (application/json), the sum cell's result, and the kernel's output.
"""
import json
import sys

from jupyter_client.manager import KernelManager

from kernel_client import drain_iopub

TIMEOUT = 240


def run(kc, code):
    messages = drain_iopub(kc, kc.execute(code), timeout=TIMEOUT)
    if not messages or messages[-1]["msg_type"] != "status":
        raise TimeoutError(code)
    result = None
    for msg in messages:
        if msg["msg_type"] == "execute_result":
            result = msg["content"]["data"]
        if msg["msg_type"] == "error":
            result = {"error": msg["content"]["evalue"]}
    return result


def main():
    kernel_name, project, log_file = sys.argv[1:4]
    with open(log_file, "w") as log:
        km = KernelManager(kernel_name=kernel_name)
        km.start_kernel(cwd=project, stdout=log, stderr=log)
        kc = km.client()
        kc.start_channels()
        try:
            kc.wait_for_ready(timeout=TIMEOUT)
            backend = run(kc, "%backend")
            total = run(kc, "tf.tensor([1, 2, 3]).sum().dataSync()[0]")
        finally:
            kc.stop_channels()
            km.shutdown_kernel(now=True)
    with open(log_file) as log:
        kernel_output = log.read()
    print(json.dumps({"backend": (backend or {}).get("application/json"), "total": (total or {}).get("text/plain"), "kernel_output": kernel_output}))


if __name__ == "__main__":
    main()
