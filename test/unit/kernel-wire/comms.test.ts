import { describe, expect, it } from "vitest";
import { KernelCommManager } from "../../../kernel/comms.js";
import type { JSONObject } from "../../../kernel/types.js";

type Sent = { msgType: string; content: JSONObject };

describe("comm manager", () => {
  it("answers comm_open to an unknown target with comm_close", () => {
    const sent: Sent[] = [];
    const comms = new KernelCommManager((msgType, content) => sent.push({ msgType, content }));
    comms.handleOpen("c1", "nobody.listens", {}, []);
    expect(sent).toEqual([{ msgType: "comm_close", content: { comm_id: "c1", data: {} } }]);
    expect(comms.list()).toEqual([]);
  });

  it("hands frontend comms to registered targets, routes messages both ways and forgets closed comms", () => {
    const sent: Sent[] = [];
    const comms = new KernelCommManager((msgType, content) => sent.push({ msgType, content }));
    const received: JSONObject[] = [];
    let closedWith: JSONObject | undefined;
    comms.registerTarget("echo", (comm, data) => {
      received.push(data);
      comm.onMessage((message) => comm.send({ echo: message }));
      comm.onClose((data) => (closedWith = data));
    });
    comms.handleOpen("c2", "echo", { hello: 1 }, []);
    comms.handleMessage("c2", { ping: true }, [], {});
    expect(received).toEqual([{ hello: 1 }]);
    expect(sent).toEqual([{ msgType: "comm_msg", content: { comm_id: "c2", data: { echo: { ping: true } } } }]);
    expect(comms.info("echo")).toEqual({ c2: { target_name: "echo" } });
    comms.handleClose("c2", { bye: true });
    expect(closedWith).toEqual({ bye: true });
    expect(comms.info()).toEqual({});
  });

  it("opens kernel-side comms with comm_open and refuses to send on a closed one", () => {
    const sent: Sent[] = [];
    const comms = new KernelCommManager((msgType, content) => sent.push({ msgType, content }));
    const comm = comms.open("jupyter.widget", { state: {} });
    expect(sent[0]).toEqual({ msgType: "comm_open", content: { comm_id: comm.id, target_name: "jupyter.widget", data: { state: {} } } });
    comm.close();
    expect(sent[1]!.msgType).toBe("comm_close");
    expect(comm.closed).toBe(true);
    expect(() => comm.send({})).toThrow(/closed/);
  });
});
