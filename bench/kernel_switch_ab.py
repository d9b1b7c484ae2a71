"""A kernel switch on and off, through jupyter_client: alternating kernel starts of this checkout's kernel with the
environment variable SWITCH (default LABNOTE_PREPARE_DECLARATIONS: declarations parsed between cells;
LABNOTE_DIRECT_SWAP: swaps made without TypeScript's watch program) set to `on` and `off` (kernelspecs written into a
temporary JUPYTER_PATH; dist/ must be built), and, when DENO is set to a `deno` binary (`npm install deno`), Deno's
kernel once per pair with the same driver. Each start: 5 x `1 + 1`, then 60 new expressions `N + 1` and 60 declaring
cells `const xN = N`, each after GAP seconds of quiet (0.1 by default, as a user types; 0 = back to back). Prints the
p50 to idle (reply and idle status both received) of each 60, per start, with the 1-minute load.

Usage: [SWITCH=NAME] /usr/bin/python3 bench/kernel_switch_ab.py [PAIRS=5] [GAP_S=0.1]
"""
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "test", "clients", "py"))
from bench_kernel import drain_polls, start_timed, timed_execute  # noqa: E402  (bench:kernel's own client code)

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def write_kernelspecs(path, switch):
    node = os.environ.get("NODE", "/usr/bin/node")
    specs = {name: {"argv": [node, os.path.join(REPO, "bin", "labnote.js"), "kernel", "-f", "{connection_file}"], "env": {switch: mode}}
             for name, mode in (("labnote-switch-on", "on"), ("labnote-switch-off", "off"))}
    if os.environ.get("DENO"):
        specs["deno"] = {"argv": [os.environ["DENO"], "jupyter", "--kernel", "--conn", "{connection_file}"]}
    for name, spec in specs.items():
        os.makedirs(os.path.join(path, "kernels", name))
        with open(os.path.join(path, "kernels", name, "kernel.json"), "w") as out:
            json.dump({**spec, "display_name": name, "language": "typescript"}, out)
    return list(specs)


def one_start(name, gap):
    km, kc, _ = start_timed(name, tempfile.mkdtemp(prefix="labnote-switch-ab-"))
    try:
        drain_polls(kc)
        for _ in range(5):
            timed_execute(kc, "1 + 1")
        fresh, declaring = [], []
        for i in range(60):
            time.sleep(gap)
            fresh.append(timed_execute(kc, f"{i} + 1")[2])
        for i in range(60):
            time.sleep(gap)
            declaring.append(timed_execute(kc, f"const x{i} = {i}")[2])
        return statistics.median(fresh), statistics.median(declaring)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def main():
    pairs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    gap = float(sys.argv[2]) if len(sys.argv) > 2 else 0.1
    switch = os.environ.get("SWITCH", "LABNOTE_PREPARE_DECLARATIONS")
    os.environ["JUPYTER_PATH"] = tempfile.mkdtemp(prefix="labnote-switch-ab-jupyter-")
    names = write_kernelspecs(os.environ["JUPYTER_PATH"], switch)
    cpu = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")), platform.processor())
    print(f"machine: {cpu}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; node {subprocess.run([os.environ.get('NODE', '/usr/bin/node'), '--version'], capture_output=True, text=True).stdout.strip()}", flush=True)
    if os.environ.get("DENO"):
        print(f"deno: {subprocess.run([os.environ['DENO'], '--version'], capture_output=True, text=True).stdout.splitlines()[0]} ({os.environ['DENO']})", flush=True)
    print(f"{switch} on/off, {pairs} pairs, {gap} s of quiet before each cell; p50 to idle of 60 new expressions and of 60 declaring cells, ms", flush=True)
    results = {name: ([], []) for name in names}
    for pair in range(pairs):
        for name in names:
            load = os.getloadavg()[0]
            fresh, declaring = one_start(name, gap)
            results[name][0].append(fresh)
            results[name][1].append(declaring)
            print(f"pair {pair + 1} {name}: new expression {fresh:.2f}, declaring {declaring:.2f} (load {load:.1f})", flush=True)
    for name, (fresh, declaring) in results.items():
        print(f"{name}: new expression median {statistics.median(fresh):.2f} [{min(fresh):.2f}-{max(fresh):.2f}], "
              f"declaring median {statistics.median(declaring):.2f} [{min(declaring):.2f}-{max(declaring):.2f}]")


if __name__ == "__main__":
    main()
