import type { ResendCause, SentPacket } from '../recovery/sent-packet-tracker.js';
import type { OutgoingMessage } from './outgoing-message.js';

/**
 * Messages with fragments never sent, highest priority first, first come first served within a
 * priority. Settled messages are dropped lazily when they reach the front.
 */
export class SendQueue {
  private readonly byPriority = new Map<number, OutgoingMessage[]>();
  private priorities: number[] = [];

  push(message: OutgoingMessage): void {
    let queue = this.byPriority.get(message.priority);
    if (!queue) {
      queue = [];
      this.byPriority.set(message.priority, queue);
      this.priorities.push(message.priority);
      this.priorities.sort((a, b) => b - a);
    }
    queue.push(message);
  }

  /** The message whose next fragment goes first, or undefined. */
  peek(): OutgoingMessage | undefined {
    for (const priority of this.priorities) {
      const queue = this.byPriority.get(priority)!;
      while (queue.length > 0) {
        const head = queue[0]!;
        if (head.live && (head.state === 'queued' || head.hasUnsent())) return head;
        queue.shift();
      }
    }
    return undefined;
  }
}

export interface RetransmitEntry {
  message: OutgoingMessage;
  sequence: number;
  cause: ResendCause;
  /** The packet that was lost (or held), so a later ACK of it can be recognised as spurious. */
  lost: SentPacket;
  /** The second copy of a duplicated retransmission (`recovery.duplicateRetransmissions`). */
  copy?: boolean;
}

/** Fragments waiting to be sent again, oldest loss first; one entry per fragment at a time. */
export class RetransmitQueue {
  private readonly entries: RetransmitEntry[] = [];
  private head = 0;
  private readonly pending = new Set<string>();

  push(entry: RetransmitEntry): boolean {
    const key = `${entry.message.messageNumber}:${entry.sequence}`;
    if (this.pending.has(key)) return false;
    this.pending.add(key);
    this.entries.push(entry);
    return true;
  }

  /** Next entry still worth sending (its message unsettled, its fragment unacknowledged). */
  pop(): RetransmitEntry | undefined {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head++]!;
      this.pending.delete(`${entry.message.messageNumber}:${entry.sequence}`);
      this.compact();
      if (entry.message.live && !entry.message.isAcked(entry.sequence)) return entry;
    }
    return undefined;
  }

  /** True when some entry is still worth sending (drops dead ones at the front). */
  hasLive(): boolean {
    while (this.head < this.entries.length) {
      const entry = this.entries[this.head]!;
      if (entry.message.live && !entry.message.isAcked(entry.sequence)) return true;
      this.head++;
      this.pending.delete(`${entry.message.messageNumber}:${entry.sequence}`);
    }
    this.compact();
    return false;
  }

  private compact(): void {
    if (this.head > 256 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.head = 0;
    }
  }
}
