"""Kernel latency through jupyter_client, for bench/kernel.ts.

Usage: bench_kernel.py KERNEL_NAME PROJECT_DIR ROUNDS [PACED_ROUNDS [PAUSE_S]]
Prints one JSON line with milliseconds. Every request is timed twice: to its reply on shell and to the kernel's
`idle` status for it on iopub (what nbclient and JupyterLab's busy indicator wait for). `startup` is process start
to the first kernel_info_reply; `first_execute` the first `1 + 1` after it; the other measures are lists, one entry
per round; `execute_fresh_paced` and `declare_paced` are new text and declaration cells again, PACED_ROUNDS of each
(default 0) with PAUSE_S (default 0.1) of quiet before each request, as a user types between cells. `type_error_caught` says whether `const s: string = 1` gave an error reply (a kernel that only
transpiles runs it); `node_types_known` whether a cell using `process` and `console` type-checks and runs.
"""
import json
import sys
import time
from queue import Empty

from jupyter_client.manager import KernelManager


def reply_to(kc, msg_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_shell_msg(timeout=max(0.01, deadline - time.time()))
        except Empty:
            break
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg
    raise TimeoutError(f"no reply to {msg_id}")


def wait_idle(kc, msg_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            msg = kc.get_iopub_msg(timeout=max(0.01, deadline - time.time()))
        except Empty:
            break
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return
    raise TimeoutError(f"no idle status for {msg_id}")


def timed(kc, send, timeout=120):
    """Sends one request; returns (reply, ms to the reply, ms to the idle status)."""
    started = time.perf_counter()
    msg_id = send()
    reply = reply_to(kc, msg_id, timeout)
    to_reply = (time.perf_counter() - started) * 1000
    wait_idle(kc, msg_id, timeout)
    to_idle = (time.perf_counter() - started) * 1000
    return reply, to_reply, to_idle


def timed_execute(kc, code, expect_ok=True):
    reply, to_reply, to_idle = timed(kc, lambda: kc.execute(code))
    if expect_ok and reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content']}")
    return reply, to_reply, to_idle


def series(rounds, measure):
    """Runs measure(i) -> (to_reply, to_idle) for each round; returns {"reply": [...], "idle": [...]}."""
    reply, idle = [], []
    for i in range(rounds):
        to_reply, to_idle = measure(i)
        reply.append(to_reply)
        idle.append(to_idle)
    return {"reply": reply, "idle": idle}


def start_timed(kernel_name, project):
    """Starts the kernel; returns (km, kc, ms from process start to the first kernel_info_reply). Polls with
    kernel_info_request like wait_for_ready does, but every 10 ms."""
    km = KernelManager(kernel_name=kernel_name)
    started = time.perf_counter()
    km.start_kernel(cwd=project)
    kc = km.client()
    kc.start_channels()
    while True:
        kc.kernel_info()
        try:
            while True:
                msg = kc.get_shell_msg(timeout=0.01)
                if msg["msg_type"] == "kernel_info_reply":
                    return km, kc, (time.perf_counter() - started) * 1000
        except Empty:
            pass
        if time.perf_counter() - started > 120:
            raise TimeoutError("kernel did not answer kernel_info within 120 s")


def drain_polls(kc):
    """Drops the replies to the extra kernel_info polls and their statuses, so that the first execute's idle is not
    confused with theirs (~0.25 s, in which a kernel warms up)."""
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


def main():
    kernel_name, project, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    paced_rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 0
    pause = float(sys.argv[5]) if len(sys.argv) > 5 else 0.1
    km, kc, startup = start_timed(kernel_name, project)
    drain_polls(kc)
    try:
        _, first_reply, first_idle = timed_execute(kc, "1 + 1")  # the first result a user sees
        for _ in range(3):
            timed_execute(kc, "1 + 1")
        execute = series(rounds, lambda i: timed_execute(kc, "1 + 1")[1:])
        # A new expression each time: no per-text cache can help (labnote memoises the transpile of re-run cells).
        execute_fresh = series(rounds, lambda i: timed_execute(kc, f"{i} + 1")[1:])
        declare = series(rounds, lambda i: timed_execute(kc, f"const x{i} = {i}")[1:])
        for _ in range(3):
            timed(kc, lambda: kc.complete("Math.fl", 7))
        complete = series(rounds, lambda i: timed(kc, lambda: kc.complete("Math.fl", 7))[1:])
        # New text each time, like a user typing. tslab now and then never answers one of these (no reply, nothing on
        # stderr): count it and stop the measure.
        complete_fresh, unanswered = {"reply": [], "idle": []}, 0
        for i in range(rounds):
            code = f"{i} + Math.fl"
            try:
                _, to_reply, to_idle = timed(kc, lambda: kc.complete(code, len(code)), timeout=10)
            except TimeoutError:
                unanswered += 1
                break
            complete_fresh["reply"].append(to_reply)
            complete_fresh["idle"].append(to_idle)
        def paced(code):
            time.sleep(pause)
            return timed_execute(kc, code)[1:]

        execute_fresh_paced = series(paced_rounds, lambda i: paced(f"{i} + 2"))
        declare_paced = series(paced_rounds, lambda i: paced(f"const paced{i} = {i}"))
        node_types, _, _ = timed_execute(kc, "const node_version: string = process.version;\nconsole.log(node_version.length > 0)", expect_ok=False)
        # Last, and without stop_on_error: tslab aborts the requests that follow an error.
        checked, _, _ = timed(kc, lambda: kc.execute("const wrongly_typed: string = 1;", stop_on_error=False))
        error = checked["content"]
        print(json.dumps({
            "kernel": kernel_name, "startup": startup, "first_execute": {"reply": first_reply, "idle": first_idle},
            "execute": execute, "execute_fresh": execute_fresh, "declare": declare, "complete": complete,
            "complete_fresh": complete_fresh, "unanswered": unanswered,
            "execute_fresh_paced": execute_fresh_paced, "declare_paced": declare_paced,
            "type_error_caught": error["status"] == "error",
            "type_error": (error.get("evalue") or "")[:200] if error["status"] == "error" else None,
            "node_types_known": node_types["content"]["status"] == "ok",
        }))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
