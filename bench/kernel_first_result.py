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

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "clients", "py"))
from bench_kernel import drain_polls, start_timed, timed  # noqa: E402  (bench:kernel's own client code)


def start_once(name, mode):
    km, kc, startup = start_timed(name, tempfile.mkdtemp(prefix="labnote-first-result-"))
    try:
        if mode == "bench":
            drain_polls(kc)
        reply, _, first = timed(kc, lambda: kc.execute("1 + 1"))
        return startup, first, reply["content"]["status"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


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
