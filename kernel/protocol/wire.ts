// Framing and HMAC signing of Jupyter wire messages: [identities…, "<IDS|MSG>", signature, header, parent, metadata,
// content, buffers…]. Pure functions over bytes so they can be tested without sockets.
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import type { JSONObject } from "../types.js";
import { SendQueue } from "./send-queue.js";
import { PROTOCOL_VERSION, type Header, type Message } from "./messages.js";

export const DELIMITER = "<IDS|MSG>";
const DELIMITER_BYTES = Buffer.from(DELIMITER);

/** Signs with the connection file's key and signature_scheme ("hmac-sha256" → sha256). An empty key disables signing. */
export class Signer {
  private readonly algorithm: string;
  constructor(private readonly key: string, signatureScheme: string) {
    const match = /^hmac-([a-z0-9]+)$/i.exec(signatureScheme || "hmac-sha256");
    if (!match) throw new Error(`Unsupported signature_scheme "${signatureScheme}": use hmac-sha256 (the Jupyter default).`);
    this.algorithm = match[1]!.toLowerCase();
    // Fail now, not on the first message, when Node's OpenSSL lacks the digest.
    createHmac(this.algorithm, "probe");
  }

  get enabled(): boolean {
    return this.key.length > 0;
  }

  sign(parts: readonly Uint8Array[]): string {
    if (!this.enabled) return "";
    const hmac = createHmac(this.algorithm, this.key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  }

  verify(signature: string, parts: readonly Uint8Array[]): boolean {
    if (!this.enabled) return true;
    const expected = Buffer.from(this.sign(parts));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}

export type DecodeResult =
  | { ok: true; identities: Buffer[]; message: Message }
  | { ok: false; reason: string };

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function parseJSONObject(frame: Uint8Array, what: string): JSONObject | string {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(frame).toString("utf8"));
  } catch (error) {
    return `${what} is not valid JSON (${(error as Error).message})`;
  }
  return isObject(value) ? (value as JSONObject) : `${what} is not a JSON object`;
}

function asHeader(value: JSONObject): Header | string {
  for (const field of ["msg_id", "msg_type", "session"] as const) {
    if (typeof value[field] !== "string") return `header.${field} is missing or not a string`;
  }
  return {
    msg_id: value.msg_id as string,
    msg_type: value.msg_type as string,
    session: value.session as string,
    username: typeof value.username === "string" ? value.username : "",
    date: typeof value.date === "string" ? value.date : "",
    version: typeof value.version === "string" ? value.version : PROTOCOL_VERSION,
  };
}

/** A send queue that signs each message and sends it on `socket`, logging (with the channel's name) what fails. */
export function signedSendQueue(socket: { send(frames: Buffer[]): Promise<void> }, channel: string, signer: Signer, log: (message: string) => void): SendQueue {
  return new SendQueue(
    (item) => socket.send(encodeMessage(item.message, signer, item.identities)),
    (error, item) => log(`could not send ${item.message.header.msg_type} on ${channel}: ${(error as Error).message}`),
  );
}

/**
 * Reads `socket` until it closes: each message verified and parsed, what fails logged as dropped (with the channel's
 * name) and skipped, the rest handed on with its ZeroMQ identities. Used by both threads for their sockets.
 */
export async function receiveSigned(
  socket: AsyncIterable<Buffer[]>,
  channel: string,
  signer: Signer,
  log: (message: string) => void,
  handle: (identities: Uint8Array[], message: Message) => void,
): Promise<void> {
  for await (const frames of socket) {
    const decoded = decodeMessage(frames, signer);
    if (!decoded.ok) log(`dropped a message on ${channel}: ${decoded.reason}`);
    else handle(decoded.identities.map((identity) => new Uint8Array(identity)), decoded.message);
  }
}

/** Verifies and parses one multipart message; never throws (malformed input is a reason, not a crash). */
export function decodeMessage(frames: readonly Buffer[], signer: Signer): DecodeResult {
  const split = frames.findIndex((frame) => frame.equals(DELIMITER_BYTES));
  if (split < 0) return { ok: false, reason: "no <IDS|MSG> delimiter" };
  if (frames.length < split + 6) return { ok: false, reason: `expected 5 frames after the delimiter, got ${frames.length - split - 1}` };
  const identities = frames.slice(0, split);
  const signature = frames[split + 1]!.toString("ascii");
  const signed = frames.slice(split + 2, split + 6);
  if (signer.enabled && signature.length === 0) return { ok: false, reason: "unsigned message" };
  if (!signer.verify(signature, signed)) return { ok: false, reason: "bad signature" };
  const [headerFrame, parentFrame, metadataFrame, contentFrame] = signed as [Buffer, Buffer, Buffer, Buffer];
  const header = parseJSONObject(headerFrame, "header");
  const parent = parseJSONObject(parentFrame, "parent_header");
  const metadata = parseJSONObject(metadataFrame, "metadata");
  const content = parseJSONObject(contentFrame, "content");
  for (const part of [header, parent, metadata, content]) if (typeof part === "string") return { ok: false, reason: part };
  const parsedHeader = asHeader(header as JSONObject);
  if (typeof parsedHeader === "string") return { ok: false, reason: parsedHeader };
  const parentObject = parent as JSONObject;
  const parsedParent = Object.keys(parentObject).length === 0 ? {} : asHeader(parentObject);
  return {
    ok: true,
    identities,
    message: {
      header: parsedHeader,
      parent_header: typeof parsedParent === "string" ? {} : parsedParent,
      metadata: metadata as JSONObject,
      content: content as JSONObject,
      buffers: frames.slice(split + 6).map((frame) => new Uint8Array(frame)),
    },
  };
}

/** Serialises and signs a message for a ROUTER (with identities) or PUB socket. */
export function encodeMessage(message: Message<string, unknown>, signer: Signer, identities: readonly Uint8Array[] = []): Buffer[] {
  const parts = [message.header, message.parent_header, message.metadata, message.content].map((part) => Buffer.from(JSON.stringify(part)));
  return [
    ...identities.map((identity) => Buffer.from(identity)),
    DELIMITER_BYTES,
    Buffer.from(signer.sign(parts)),
    ...parts,
    ...message.buffers.map((buffer) => Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength)),
  ];
}

export function newHeader<T extends string>(msgType: T, session: string): Header<T> {
  return {
    msg_id: randomUUID(),
    session,
    username: "labnote",
    date: new Date().toISOString(),
    msg_type: msgType,
    version: PROTOCOL_VERSION,
  };
}
