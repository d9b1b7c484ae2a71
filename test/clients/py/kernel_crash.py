"""A cell cannot kill the labnote kernel by accident; a kernel that does die leaves its run crashed, not running.

Usage: kernel_crash.py KERNEL_NAME PROJECT_DIR
Prints one JSON object: scenario name -> observations (test/clients/kernel-crash.test.ts asserts on them).
"""
import json
import os
import signal
import sqlite3
import sys
import time
from queue import Empty

from kernel_client import TIMEOUT, run, start, streams


def summary(code, kc):
    content, outputs = run(kc, code)
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    return {
        "status": content["status"],
        "ename": content.get("ename"),
        "evalue": content.get("evalue"),
        "error_outputs": len(errors),
        "stderr": streams(outputs, "stderr"),
        "results": [m["content"]["data"].get("text/plain") for m in outputs if m["msg_type"] == "execute_result"],
        "json": [m["content"]["data"].get("application/json") for m in outputs if m["msg_type"] == "execute_result"],
    }


def exit_in_cells(kernel_name, project):
    km, kc = start(kernel_name, project)
    try:
        observed = {
            "define": summary("const before = 41;", kc),
            "exit": summary("process.exit(3);", kc),
            "abort": summary("process.abort();", kc),
            "exit_in_timer": summary("setTimeout(() => process.exit(0), 10);\nawait new Promise((resolve) => setTimeout(resolve, 500));\n'timer done'", kc),
            "after": summary("before + 1", kc),
        }
        observed["alive"] = km.is_alive()
        return observed
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


TRACKED_CELL = """%%track --name doomed
for (let step = 0; step < 50; step++) run.log({ loss: 1 / (step + 1) }, { step, split: "train" });
await new Promise((resolve) => setTimeout(resolve, 2500));
console.log("points flushed");
await new Promise(() => {});
"""


def loss_points(database_path, run_name):
    try:
        database = sqlite3.connect(f"file:{database_path}?mode=ro", uri=True)
        try:
            row = database.execute(
                "SELECT count(*) FROM metrics WHERE key = 'loss' AND split = 'train' AND run_id = (SELECT id FROM runs WHERE name = ? ORDER BY started_at DESC LIMIT 1)",
                (run_name,),
            ).fetchone()
            return row[0]
        finally:
            database.close()
    except sqlite3.Error:
        return 0


def wait_for_points(database_path, run_name, expected, timeout=90):
    deadline = time.time() + timeout
    count = loss_points(database_path, run_name)
    while count < expected and time.time() < deadline:
        time.sleep(0.25)
        count = loss_points(database_path, run_name)
    return count


def kill_mid_run(kernel_name, project):
    km, kc = start(kernel_name, project)
    msg_id = kc.execute(TRACKED_CELL)
    flushed = False
    deadline = time.time() + TIMEOUT
    while time.time() < deadline and not flushed:
        try:
            msg = kc.get_iopub_msg(timeout=1)
        except Empty:
            continue
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "stream" and "points flushed" in msg["content"]["text"]:
            flushed = True
    # Kill only once the 50 points are in the store (on a loaded machine the background writer may lag the cell).
    durable = wait_for_points(os.path.join(project, ".labnote", "labnote.db"), "doomed", 50)
    pid = km.provisioner.process.pid
    os.kill(pid, signal.SIGKILL)
    # Not reaped on purpose: the dead kernel stays a zombie, as it does under a frontend that has not noticed yet.
    time.sleep(0.5)
    kc.stop_channels()
    killed_at = time.time()
    km2, kc2 = start(kernel_name, project)
    try:
        shown = summary("%track show doomed", kc2)
        listed = summary("%track runs", kc2)
        run_json = shown["json"][0] if shown["json"] else {}
        database = sqlite3.connect(f"file:{os.path.join(project, '.labnote', 'labnote.db')}?mode=ro", uri=True)
        loss_points = database.execute("SELECT count(*) FROM metrics WHERE run_id = ? AND key = 'loss' AND split = 'train'", (run_json.get("id"),)).fetchone()[0]
        database.close()
        return {
            "flushed_before_kill": flushed,
            "durable_before_kill": durable,
            "status": run_json.get("status"),
            "loss_points": loss_points,
            "pid_was_kernel": run_json.get("pid") == pid,
            "seconds_after_kill": round(time.time() - killed_at, 1),
            "listed": listed["results"],
            "show_status": shown["status"],
            "show_evalue": shown["evalue"],
        }
    finally:
        kc2.stop_channels()
        km2.shutdown_kernel(now=True)
        try:
            km.shutdown_kernel(now=True)
        except Exception:
            pass


def main():
    kernel_name, project = sys.argv[1], sys.argv[2]
    report = {"exit_in_cells": exit_in_cells(kernel_name, project), "kill_mid_run": kill_mid_run(kernel_name, project)}
    print(json.dumps(report))


if __name__ == "__main__":
    main()
