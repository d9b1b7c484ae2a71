import { describe, expect, it } from "vitest";
import { decodeMessage, DELIMITER, encodeMessage, newHeader, Signer } from "../../../kernel/protocol/wire.js";
import type { Message } from "../../../kernel/protocol/messages.js";

const signer = new Signer("secret-key", "hmac-sha256");

function request(msgType = "execute_request"): Message {
  return { header: newHeader(msgType, "client"), parent_header: {}, metadata: {}, content: { code: "1 + 1" }, buffers: [] };
}

describe("wire framing and HMAC", () => {
  it("round-trips a signed message with identities and buffers", () => {
    const message = { ...request(), buffers: [new Uint8Array([1, 2, 3])] };
    const frames = encodeMessage(message, signer, [Buffer.from("client-id")]);
    expect(frames[1]!.toString()).toBe(DELIMITER);
    const decoded = decodeMessage(frames, signer);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.identities.map(String)).toEqual(["client-id"]);
    expect(decoded.message.header.msg_type).toBe("execute_request");
    expect(decoded.message.content).toEqual({ code: "1 + 1" });
    expect([...decoded.message.buffers[0]!]).toEqual([1, 2, 3]);
  });

  it("signs exactly like jupyter_client (HMAC-SHA256 over header, parent, metadata, content)", () => {
    const parts = ['{"a":1}', "{}", "{}", '{"b":2}'].map((part) => Buffer.from(part));
    // Computed with python: hmac.new(b"secret-key", digestmod="sha256") updated with the four parts.
    expect(signer.sign(parts)).toBe("ae76aeefcff0c221ecc815b72f45810b47290f404ee280ab6c161755f7ddc94b");
    expect(signer.verify("ae76aeefcff0c221ecc815b72f45810b47290f404ee280ab6c161755f7ddc94b", parts)).toBe(true);
  });

  it("rejects unsigned, badly signed and malformed messages with a reason instead of throwing", () => {
    const frames = encodeMessage(request(), signer, [Buffer.from("id")]);
    const unsigned = frames.map((frame, index) => (index === 2 ? Buffer.alloc(0) : frame));
    expect(decodeMessage(unsigned, signer)).toEqual({ ok: false, reason: "unsigned message" });
    const forged = encodeMessage(request(), new Signer("wrong-key", "hmac-sha256"), [Buffer.from("id")]);
    expect(decodeMessage(forged, signer)).toEqual({ ok: false, reason: "bad signature" });
    expect(decodeMessage([Buffer.from("garbage")], signer).ok).toBe(false);
    const noKey = new Signer("", "hmac-sha256");
    const badJson = encodeMessage(request(), noKey).map((frame, index) => (index === 2 ? Buffer.from("{not json") : frame));
    const result = decodeMessage(badJson, noKey);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/header is not valid JSON/);
    const noType = encodeMessage({ ...request(), header: { ...request().header, msg_type: 7 as unknown as string } }, signer);
    expect(decodeMessage(noType, signer)).toEqual({ ok: false, reason: "header.msg_type is missing or not a string" });
  });

  it("refuses an unknown signature scheme with a message that says what to use", () => {
    expect(() => new Signer("k", "rot13")).toThrow(/hmac-sha256/);
  });
});
