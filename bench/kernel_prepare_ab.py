"""Declaring cells with and without the declarations parsed between cells (LABNOTE_PREPARE_DECLARATIONS), through
jupyter_client: alternating kernel starts of this checkout's kernel with the switch on and off (kernelspecs written
into a temporary JUPYTER_PATH; dist/ must be built), and, when DENO is set to a `deno` binary (`npm install deno`),
Deno's kernel once per pair with the same driver. Each start: 5 x `1 + 1`, 20 new expressions, then 60 declaring
cells `const xN = N`, each after GAP seconds of quiet (0.1 by default, as a user types; 0 = back to back). Prints the
p50 to idle (reply and idle status both received) of the 60, per start, with the 1-minute load.

Usage: /usr/bin/python3 bench/kernel_prepare_ab.py [PAIRS=5] [GAP_S=0.1]
"""
import json
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "clients", "py"))
from bench_kernel import drain_polls, start_timed, timed_execute  # noqa: E402  (bench:kernel's own client code)

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def write_kernelspecs(path):
    node = os.environ.get("NODE", "/usr/bin/node")
    specs = {name: {"argv": [node, os.path.join(REPO, "bin", "labnote.js"), "kernel", "-f", "{connection_file}"], "env": {"LABNOTE_PREPARE_DECLARATIONS": mode}}
             for name, mode in (("labnote-prepare-on", "on"), ("labnote-prepare-off", "off"))}
    if os.environ.get("DENO"):
        specs["deno"] = {"argv": [os.environ["DENO"], "jupyter", "--kernel", "--conn", "{connection_file}"]}
    for name, spec in specs.items():
        os.makedirs(os.path.join(path, "kernels", name))
        with open(os.path.join(path, "kernels", name, "kernel.json"), "w") as out:
            json.dump({**spec, "display_name": name, "language": "typescript"}, out)
    return list(specs)


def one_start(name, gap):
    km, kc, _ = start_timed(name, tempfile.mkdtemp(prefix="labnote-prepare-ab-"))
    try:
        drain_polls(kc)
        for _ in range(5):
            timed_execute(kc, "1 + 1")
        for i in range(20):
            timed_execute(kc, f"{i} + 1")
        idle = []
        for i in range(60):
            time.sleep(gap)
            idle.append(timed_execute(kc, f"const x{i} = {i}")[2])
        return statistics.median(idle)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    gap = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
    os.environ["JUPYTER_PATH"] = tempfile.mkdtemp(prefix="labnote-prepare-ab-jupyter-")
    names = write_kernelspecs(os.environ["JUPYTER_PATH"])
    print(f"{pairs} pairs, {gap} s of quiet before each declaring cell; p50 to idle of 60 declaring cells, ms", flush=True)
    results = {name: [] for name in names}
    for pair in range(pairs):
        for name in names:
            load = os.getloadavg()[0]
            p50 = one_start(name, gap)
            results[name].append(p50)
            print(f"pair {pair + 1} {name}: {p50:.2f} (load {load:.1f})", flush=True)
    for name, values in results.items():
        print(f"{name}: median {statistics.median(values):.2f} [{min(values):.2f}-{max(values):.2f}]")


if __name__ == "__main__":
    main()
