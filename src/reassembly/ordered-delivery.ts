/** The receiver's knowledge of one message number, as ordered delivery needs it. */
export interface MessageNumberStatus {
  /** Delivered, cancelled or otherwise done. */
  isFinished(messageNumber: number): boolean;
  /** Fragments are being collected; its ordered sequence (if any) is known. */
  isInProgress(messageNumber: number): boolean;
}

interface Held<T> {
  messageNumber: number;
  item: T;
}

/**
 * Releases ordered messages in `orderedSequence` order. A sequence number can be missing for
 * good when the sender cancelled that message (deadline) and the receiver never saw a fragment
 * of it; CANCEL names message numbers only. Ordered sequences are assigned in message-number
 * order, so the message holding a missing sequence k lies strictly between the message numbers
 * of the nearest known sequences around it. Once every message number in that interval is
 * finished or in progress (and none in progress holds k), k can only belong to a cancelled
 * message, and delivery skips it.
 */
export class OrderedDelivery<T> {
  private nextSequence = 0;
  /** Message number of the sequence before `nextSequence` (-1 at the start). */
  private previousMessage = -1;
  private readonly held = new Map<number, Held<T>>();
  /** Sequences of ordered messages currently known (in progress or held), to message numbers. */
  private readonly known = new Map<number, number>();
  private readonly skipped = new Map<number, number>();
  private skippedCount = 0;

  constructor(
    private readonly status: MessageNumberStatus,
    /** Longest message-number interval scanned for the inference (bounds work per call). */
    private readonly maxScan: number,
  ) {}

  get waiting(): number {
    return this.held.size;
  }

  get expected(): number {
    return this.nextSequence;
  }

  get sequencesSkipped(): number {
    return this.skippedCount;
  }

  /** True when this sequence is already past (delivered or skipped). */
  isPast(sequence: number): boolean {
    return sequence < this.nextSequence;
  }

  /** An ordered message with this sequence is being collected. */
  noteKnown(sequence: number, messageNumber: number): void {
    if (sequence >= this.nextSequence) this.known.set(sequence, messageNumber);
  }

  /** The sender cancelled an ordered message whose sequence we know. */
  noteCancelled(sequence: number, messageNumber: number): void {
    if (sequence < this.nextSequence) return;
    this.known.delete(sequence);
    this.held.delete(sequence);
    this.skipped.set(sequence, messageNumber);
  }

  hold(sequence: number, messageNumber: number, item: T): void {
    if (sequence < this.nextSequence) return;
    this.known.set(sequence, messageNumber);
    this.held.set(sequence, { messageNumber, item });
  }

  /** Held items for messages now deliverable, in order. */
  release(): T[] {
    const out: T[] = [];
    for (;;) {
      const k = this.nextSequence;
      const h = this.held.get(k);
      if (h) {
        out.push(h.item);
        this.advancePast(k, h.messageNumber);
        continue;
      }
      const skippedMessage = this.skipped.get(k);
      if (skippedMessage !== undefined) {
        this.skippedCount++;
        this.advancePast(k, skippedMessage);
        continue;
      }
      if (this.known.has(k) || this.held.size === 0) return out;
      const next = this.inferCancelledUpTo(k);
      if (next === undefined) return out;
      this.skippedCount += next - k;
      this.nextSequence = next;
    }
  }

  private advancePast(sequence: number, messageNumber: number): void {
    this.held.delete(sequence);
    this.known.delete(sequence);
    this.skipped.delete(sequence);
    this.previousMessage = messageNumber;
    this.nextSequence = sequence + 1;
  }

  /** The next known sequence if every sequence in [k, it) provably belongs to a cancelled message. */
  private inferCancelledUpTo(k: number): number | undefined {
    let nextKnown: number | undefined;
    for (const seq of this.known.keys()) if (seq > k && (nextKnown === undefined || seq < nextKnown)) nextKnown = seq;
    for (const seq of this.skipped.keys()) if (seq > k && (nextKnown === undefined || seq < nextKnown)) nextKnown = seq;
    if (nextKnown === undefined) return undefined;
    const upperMessage = this.known.get(nextKnown) ?? this.skipped.get(nextKnown)!;
    if (upperMessage - this.previousMessage > this.maxScan) return undefined;
    for (let n = this.previousMessage + 1; n < upperMessage; n++) {
      if (!this.status.isFinished(n) && !this.status.isInProgress(n)) return undefined;
    }
    return nextKnown;
  }
}
