"""Fault tests for the labnote kernel through jupyter_client and raw ZeroMQ.

Usage: kernel_faults.py SIGNAL_KERNEL MESSAGE_KERNEL PROJECT_DIR
Prints one JSON object: scenario name -> observations (the vitest wrapper asserts on them).
"""
import json
import os
import sys
import time
import uuid

import zmq
from jupyter_client.session import Session
from jupyter_client.utils import run_sync

from kernel_client import TIMEOUT, drain_iopub, results, run, shell_reply, start, streams


def raw_shell(km):
    info = km.get_connection_info()
    socket = zmq.Context.instance().socket(zmq.DEALER)
    socket.setsockopt(zmq.IDENTITY, uuid.uuid4().hex.encode())
    socket.setsockopt(zmq.LINGER, 0)
    socket.connect(f"{info['transport']}://{info['ip']}:{info['shell_port']}")
    return socket


def raw_replies(socket, wait=1.5):
    replies = []
    deadline = time.time() + wait
    while time.time() < deadline:
        if socket.poll(100):
            replies.append(socket.recv_multipart())
    return replies


def scenario_wire_faults(km, kc):
    socket = raw_shell(km)
    good = Session(key=km.session.key, signature_scheme=km.session.signature_scheme)
    forged = Session(key=b"not-the-key", signature_scheme=km.session.signature_scheme)
    unsigned = Session(key=b"", signature_scheme=km.session.signature_scheme)
    observations = {}
    for name, session in (("unsigned", unsigned), ("badly_signed", forged)):
        session.send(socket, "kernel_info_request", {})
        observations[name + "_replies"] = len(raw_replies(socket))
    socket.send_multipart([b"<IDS|MSG>", b"", b"{not json", b"{}", b"{}", b"{}"])
    socket.send_multipart([b"only one frame"])
    header = good.msg_header("kernel_info_request")
    parts = [good.pack(header), b"{}", b"{}", b"[1, 2"]
    socket.send_multipart([b"<IDS|MSG>", good.sign(parts)] + parts)
    observations["malformed_replies"] = len(raw_replies(socket))
    good.send(socket, "frobnicate_request", {"x": 1})
    observations["unknown_type_replies"] = len(raw_replies(socket))
    good.send(socket, "kernel_info_request", {})
    answered = raw_replies(socket, wait=5)
    observations["signed_replies"] = len(answered)
    reply, outputs = run(kc, "6 * 7")
    observations["after_faults_result"] = results(outputs)
    socket.close()
    return observations


def scenario_comm_unknown_target(km, kc):
    comm_id = uuid.uuid4().hex
    msg = kc.session.msg("comm_open", {"comm_id": comm_id, "target_name": "no.such.target", "data": {}})
    kc.shell_channel.send(msg)
    outputs = drain_iopub(kc, msg["header"]["msg_id"])
    closes = [m for m in outputs if m["msg_type"] == "comm_close" and m["content"]["comm_id"] == comm_id]
    kc.comm_info()
    info = kc.get_shell_msg(timeout=TIMEOUT)["content"]
    return {"comm_close_count": len(closes), "comm_info_status": info["status"], "open_comms": len(info["comms"])}


def scenario_unhandled_rejection(km, kc):
    reply, outputs = run(kc, 'Promise.reject(new Error("nobody catches me")); await new Promise((r) => setTimeout(r, 200)); "cell done"')
    later_reply, later_outputs = run(kc, "1 + 1")
    return {
        "status": reply["status"],
        "stderr": streams(outputs, "stderr") + streams(later_outputs, "stderr"),
        "errors": [m["content"]["evalue"] for m in outputs + later_outputs if m["msg_type"] == "error"] + ([reply.get("evalue")] if reply["status"] == "error" else []),
        "alive_result": results(later_outputs),
    }


def scenario_big_output(km, kc):
    started = time.time()
    reply, outputs = run(kc, 'const chunk = "x".repeat(1023); for (let i = 0; i < 10240; i++) console.log(chunk); "printed"')
    text = streams(outputs, "stdout")
    after_reply, after_outputs = run(kc, "2 + 2")
    return {
        "status": reply["status"],
        "stdout_bytes": len(text),
        "stream_messages": sum(1 for m in outputs if m["msg_type"] == "stream"),
        "lines": text.count("\n"),
        "seconds": round(time.time() - started, 2),
        "alive_result": results(after_outputs),
    }


def scenario_stop_on_error(km, kc):
    # The failing cell runs long enough that the second request is surely queued behind it, even on a loaded machine
    # where this client can be descheduled between its two sends.
    failing = kc.execute('await new Promise((resolve) => setTimeout(resolve, 400)); throw new Error("first cell fails")')
    queued = kc.execute('"queued behind the failure"')
    failing_reply = shell_reply(kc, failing)
    queued_reply = shell_reply(kc, queued)
    drain_iopub(kc, queued)
    reply, outputs = run(kc, '"runs after"')
    return {"failing": failing_reply["content"]["status"], "queued": queued_reply["content"]["status"], "after": results(outputs)}


def scenario_runtime_traceback(km, kc):
    run(kc, "interface Limits {\n  max: number;\n}\nfunction check(value: number, limits: Limits): number {\n  if (value > limits.max) throw new RangeError(`too large: ${value}`);\n  return value;\n}")
    reply, outputs = run(kc, "const limits: Limits = { max: 3 };\n\ncheck(5, limits);")
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    return {"status": reply["status"], "error_outputs": len(errors), "traceback": errors[0]["traceback"] if errors else None}


def scenario_stdin(km, kc):
    msg_id = kc.execute('const name = await input("name? "); name.toUpperCase()', allow_stdin=True)
    request = kc.get_stdin_msg(timeout=TIMEOUT)
    kc.input("ada")
    reply = shell_reply(kc, msg_id)
    outputs = drain_iopub(kc, msg_id)
    return {"prompt": request["content"]["prompt"], "parent_is_execute": request["parent_header"]["msg_id"] == msg_id,
            "status": reply["content"]["status"], "result": results(outputs)}


def interrupt_during(km, kc, code, settle=2.0):
    msg_id = kc.execute(code)
    time.sleep(settle)
    km.interrupt_kernel()
    reply = shell_reply(kc, msg_id, timeout=30)
    outputs = drain_iopub(kc, msg_id, timeout=30)
    return {"status": reply["content"]["status"], "ename": reply["content"].get("ename"),
            "error_outputs": sum(1 for m in outputs if m["msg_type"] == "error")}


def scenario_interrupts(km, kc, loop_after_await=False):
    run(kc, "const kept = 41")
    run(kc, "function spinForever(): number { let n = 0; while (n >= 0) n = (n + 1) % 10; return n; }")
    observations = {
        "busy_loop": interrupt_during(km, kc, "while (true) {}"),
        "never_settles": interrupt_during(km, kc, "await new Promise(() => {})"),
        # A loop-free cell runs without vm's breakOnSigint: the engine's watchdog must stop the call that hangs.
        "hangs_in_function": interrupt_during(km, kc, "spinForever()"),
    }
    if loop_after_await:  # message mode only: a signal cannot reach synchronous code outside the vm call
        observations["loop_after_await"] = interrupt_during(km, kc, "await new Promise((r) => setTimeout(r, 10)); while (true) {}")
    reply, outputs = run(kc, "kept + 1")
    observations["kept_result"] = results(outputs)
    return observations


def scenario_restart_and_history(km, kc, marker):
    run(kc, f'const {marker} = "remembered"')
    pid_before = km.provisioner.process.pid
    km.restart_kernel(now=False)
    kc.wait_for_ready(timeout=TIMEOUT)
    pid_after = km.provisioner.process.pid
    kc.history(hist_access_type="search", pattern=f"*{marker}*", output=False, raw=True)
    history = kc.get_shell_msg(timeout=TIMEOUT)["content"]["history"]
    reply, outputs = run(kc, f"{marker}")
    # A restart starts a fresh scope: the old declaration is gone (a type error names it).
    return {"new_process": pid_before != pid_after, "history_hits": len(history), "after_restart_status": reply["status"],
            "after_restart_error": reply.get("evalue", "")}


def scenario_shutdown(km, kc):
    process = km.provisioner.process
    msg_id = kc.shutdown(restart=False)
    reply = run_sync(kc.control_channel.get_msg)(timeout=TIMEOUT)
    try:
        code = process.wait(timeout=20)
    except Exception:
        code = None
    return {"reply_status": reply["content"]["status"], "restart": reply["content"]["restart"],
            "parented": reply["parent_header"]["msg_id"] == msg_id, "exit_code": code}


def main():
    signal_kernel, message_kernel, project = sys.argv[1:4]
    report = {}
    km, kc = start(signal_kernel, project)
    try:
        for name, scenario in (("wire_faults", scenario_wire_faults), ("comm_unknown_target", scenario_comm_unknown_target),
                               ("unhandled_rejection", scenario_unhandled_rejection), ("big_output", scenario_big_output),
                               ("stop_on_error", scenario_stop_on_error), ("runtime_traceback", scenario_runtime_traceback), ("stdin", scenario_stdin), ("interrupt_signal", scenario_interrupts)):
            try:
                report[name] = scenario(km, kc)
            except Exception as error:  # one broken scenario must not hide the others
                report[name] = {"exception": repr(error)}
        marker = "marker_" + uuid.uuid4().hex[:8]
        try:
            report["restart_history"] = scenario_restart_and_history(km, kc, marker)
        except Exception as error:
            report["restart_history"] = {"exception": repr(error)}
        try:
            report["shutdown"] = scenario_shutdown(km, kc)
        except Exception as error:
            report["shutdown"] = {"exception": repr(error)}
    finally:
        kc.stop_channels()
        if km.is_alive():
            km.shutdown_kernel(now=True)
    km, kc = start(message_kernel, project)
    try:
        report["interrupt_message"] = scenario_interrupts(km, kc, loop_after_await=True)
    except Exception as error:
        report["interrupt_message"] = {"exception": repr(error)}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
