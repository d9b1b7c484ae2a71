"""First result of a kernel, started N times: start-up to the first kernel_info_reply, then the first `1 + 1` to its
idle status. Two ways of sending the first cell:
  eager  the execute goes out right after the kernel_info_reply (what nbclient and papermill do);
  bench  as test/clients/py/bench_kernel.py (bench:kernel) does: replies and statuses of the kernel_info polls are
         drained first (~0.25 s not counted), during which the kernel warms up.

Usage: JUPYTER_PATH=DIR python3 bench/kernel_first_result.py KERNEL_NAME N [eager|bench]
(KERNEL_NAME a kernelspec in JUPYTER_PATH, e.g. one whose argv is [node, bin/labnote.js, kernel, -f, {connection_file}]).
Prints one line per start (1-minute load, ms) and the median and range of the first results.
"""
import os
import statistics
import sys
import tempfile
import time
from queue import Empty

from jupyter_client.manager import KernelManager


def start_once(name, mode):
    km = KernelManager(kernel_name=name)
    project = tempfile.mkdtemp(prefix="labnote-first-result-")
    started = time.perf_counter()
    km.start_kernel(cwd=project)
    kc = km.client()
    kc.start_channels()
    startup = None
    while startup is None:
        kc.kernel_info()
        try:
            while True:
                msg = kc.get_shell_msg(timeout=0.01)
                if msg["msg_type"] == "kernel_info_reply":
                    startup = (time.perf_counter() - started) * 1000
                    break
        except Empty:
            pass
        if time.perf_counter() - started > 120:
            raise TimeoutError("no kernel_info_reply within 120 s")
    if mode == "bench":
        while True:
            try:
                kc.get_shell_msg(timeout=0.2)
            except Empty:
                break
        while True:
            try:
                kc.get_iopub_msg(timeout=0.05)
            except Empty:
                break
    sent = time.perf_counter()
    msg_id = kc.execute("1 + 1")
    while True:
        reply = kc.get_shell_msg(timeout=120)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    while True:
        msg = kc.get_iopub_msg(timeout=120)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    first = (time.perf_counter() - sent) * 1000
    kc.stop_channels()
    km.shutdown_kernel(now=True)
    return startup, first, reply["content"]["status"]


def main():
    name, n = sys.argv[1], int(sys.argv[2])
    mode = sys.argv[3] if len(sys.argv) > 3 else "eager"
    results = []
    for _ in range(n):
        load = os.getloadavg()[0]
        startup, first, status = start_once(name, mode)
        results.append(startup + first)
        print(f"{name} {mode}: load {load:.1f}, start-up {startup:.0f}, first `1 + 1` to idle {first:.0f}, first result {startup + first:.0f} ms ({status})", flush=True)
    print(f"{name} {mode}: first result median {statistics.median(results):.0f} ms [{min(results):.0f}-{max(results):.0f}] over {n} starts")


if __name__ == "__main__":
    main()
