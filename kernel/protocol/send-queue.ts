// One queue per ZeroMQ socket: zeromq@6 allows a single pending send per socket, so sends are serialised here.
// Consecutive stream messages of the same cell and stream name are merged while they wait, so a burst of output
// (10 MB of console.log) becomes a few large messages instead of millions of small ones.
import type { Message } from "./messages.js";

export interface QueuedMessage {
  identities: Uint8Array[];
  message: Message<string, unknown>;
}

/** Merged stream messages stop growing past this size so one frame never holds the whole burst. */
const MAX_MERGED_STREAM_BYTES = 1 << 20;

interface StreamContent {
  name: string;
  text: string;
}

function streamContent(message: Message<string, unknown>): StreamContent | undefined {
  if (message.header.msg_type !== "stream") return undefined;
  const content = message.content as Partial<StreamContent>;
  return typeof content.name === "string" && typeof content.text === "string" ? (content as StreamContent) : undefined;
}

function parentId(message: Message<string, unknown>): string | undefined {
  return "msg_id" in message.parent_header ? message.parent_header.msg_id : undefined;
}

export class SendQueue {
  private readonly pending: QueuedMessage[] = [];
  private draining = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly send: (item: QueuedMessage) => Promise<void>,
    private readonly onError: (error: unknown, item: QueuedMessage) => void,
  ) {}

  get length(): number {
    return this.pending.length;
  }

  push(item: QueuedMessage): void {
    const last = this.pending[this.pending.length - 1];
    const incoming = streamContent(item.message);
    const previous = last && streamContent(last.message);
    if (incoming && previous && last && previous.name === incoming.name && parentId(last.message) === parentId(item.message) &&
        previous.text.length + incoming.text.length <= MAX_MERGED_STREAM_BYTES) {
      last.message = { ...last.message, content: { name: previous.name, text: previous.text + incoming.text } };
    } else {
      this.pending.push(item);
    }
    if (!this.draining) void this.drain();
  }

  /** Resolves once everything queued so far has been handed to the socket. */
  flushed(): Promise<void> {
    if (!this.draining && this.pending.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    this.draining = true;
    while (this.pending.length > 0) {
      const item = this.pending.shift()!;
      try {
        await this.send(item);
      } catch (error) {
        this.onError(error, item);
      }
    }
    this.draining = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
