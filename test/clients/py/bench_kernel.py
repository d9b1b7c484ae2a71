"""Kernel latency through jupyter_client, for bench/kernel.ts.

Usage: bench_kernel.py KERNEL_NAME PROJECT_DIR ROUNDS
Prints one JSON line with milliseconds: startup (process start to the first kernel_info_reply), execute and
declaration round trips (execute_request to execute_reply) and completion round trips, each as a list.
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
            msg = kc.get_shell_msg(timeout=timeout)
        except Empty:
            break
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg
    raise TimeoutError(f"no reply to {msg_id}")


def wait_idle(kc, msg_id, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return


def timed_execute(kc, code):
    started = time.perf_counter()
    msg_id = kc.execute(code)
    reply = reply_to(kc, msg_id)
    elapsed = (time.perf_counter() - started) * 1000
    wait_idle(kc, msg_id)
    if reply["content"]["status"] != "ok":
        raise RuntimeError(f"{code!r} failed: {reply['content']}")
    return elapsed


def main():
    kernel_name, project, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
    km = KernelManager(kernel_name=kernel_name)
    started = time.perf_counter()
    km.start_kernel(cwd=project)
    kc = km.client()
    kc.start_channels()
    # Poll with kernel_info_request like wait_for_ready does, but every 10 ms, and time the first reply.
    startup = None
    while startup is None:
        msg_id = kc.kernel_info()
        try:
            while True:
                msg = kc.get_shell_msg(timeout=0.05)
                if msg["msg_type"] == "kernel_info_reply":
                    startup = (time.perf_counter() - started) * 1000
                    break
        except Empty:
            pass
        if time.perf_counter() - started > 120:
            raise TimeoutError("kernel did not answer kernel_info within 120 s")
    while True:  # drop replies to the extra kernel_info polls
        try:
            kc.get_shell_msg(timeout=0.2)
        except Empty:
            break
    try:
        first_execute = timed_execute(kc, "1 + 1")  # includes the engine's lazy TypeScript start
        for _ in range(3):
            timed_execute(kc, "1 + 1")
        execute = [timed_execute(kc, "1 + 1") for _ in range(rounds)]
        # A new expression each time: no per-text cache can help (labnote memoises tslab's transpile of re-run cells).
        execute_fresh = [timed_execute(kc, f"{i} + 1") for i in range(rounds)]
        declare = [timed_execute(kc, f"const x{i} = {i}") for i in range(rounds)]
        complete = []
        for _ in range(rounds + 3):
            t = time.perf_counter()
            msg_id = kc.complete("Math.fl", 7)
            reply_to(kc, msg_id)
            complete.append((time.perf_counter() - t) * 1000)
        # New text each time, like a user typing: the type checker has to look at a changed cell every round.
        # tslab now and then never answers one of these (no reply, nothing on stderr): count it and stop the measure.
        complete_fresh, unanswered = [], 0
        for i in range(rounds):
            code = f"{i} + Math.fl"
            t = time.perf_counter()
            msg_id = kc.complete(code, len(code))
            try:
                reply_to(kc, msg_id, timeout=10)
            except TimeoutError:
                unanswered += 1
                break
            complete_fresh.append((time.perf_counter() - t) * 1000)
        print(json.dumps({"kernel": kernel_name, "startup": startup, "first_execute": first_execute, "execute": execute, "execute_fresh": execute_fresh,
                          "declare": declare, "complete": complete[3:], "complete_fresh": complete_fresh, "unanswered": unanswered}))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
