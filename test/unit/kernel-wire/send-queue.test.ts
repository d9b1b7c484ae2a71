import { describe, expect, it } from "vitest";
import type { Message } from "../../../kernel/protocol/messages.js";
import { SendQueue, type QueuedMessage } from "../../../kernel/protocol/send-queue.js";
import { newHeader } from "../../../kernel/protocol/wire.js";

const parent = newHeader("execute_request", "client");

function stream(name: string, text: string, parentHeader = parent): Message<string, unknown> {
  return { header: newHeader("stream", "kernel"), parent_header: parentHeader, metadata: {}, content: { name, text }, buffers: [] };
}

describe("per-socket send queue", () => {
  it("sends one message at a time, in order, merging a burst of same-cell stream output", async () => {
    const sent: QueuedMessage[] = [];
    let inFlight = 0;
    let maxInFlight = 0;
    const queue = new SendQueue(async (item) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      sent.push(item);
      inFlight--;
    }, () => {});
    for (let i = 0; i < 10_000; i++) queue.push({ identities: [], message: stream("stdout", `line ${i}\n`) });
    queue.push({ identities: [], message: stream("stderr", "oops\n") });
    queue.push({ identities: [], message: stream("stdout", "after\n") });
    await queue.flushed();
    expect(maxInFlight).toBe(1);
    const texts = sent.map((item) => (item.message.content as { name: string; text: string }));
    expect(texts.length).toBeLessThan(10);
    const stdout = texts.filter((t) => t.name === "stdout").map((t) => t.text).join("");
    expect(stdout.split("\n").filter(Boolean)).toHaveLength(10_001);
    expect(stdout.endsWith("line 9999\nafter\n")).toBe(true);
    // stderr stays between the two stdout runs: merging never reorders output.
    expect(texts.at(-2)).toEqual({ name: "stderr", text: "oops\n" });
  });

  it("never merges output of different cells, and keeps going after a failed send", async () => {
    const other = newHeader("execute_request", "client");
    const sent: string[] = [];
    const errors: string[] = [];
    let first = true;
    const queue = new SendQueue(async (item) => {
      if (first) {
        first = false;
        throw new Error("socket busy");
      }
      sent.push((item.message.content as { text: string }).text);
    }, (error) => errors.push((error as Error).message));
    queue.push({ identities: [], message: stream("stdout", "lost\n") });
    queue.push({ identities: [], message: stream("stdout", "a\n") });
    queue.push({ identities: [], message: stream("stdout", "b\n", other) });
    await queue.flushed();
    expect(errors).toEqual(["socket busy"]);
    expect(sent).toEqual(["a\n", "b\n"]);
  });
});
