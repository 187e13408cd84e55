import { RangeSet } from '../recovery/range-set.js';
import { OrderedDelivery } from './ordered-delivery.js';
import { ReassemblyBuffer, type MessageShape } from './reassembly-buffer.js';

export interface IncomingLimits {
  /** Messages being collected at once. */
  maxMessagesInProgress: number;
  /** Bytes reserved by messages in progress plus complete ordered messages waiting their turn. */
  maxReassemblyBytes: number;
  /** Largest fragment count accepted in a header. */
  maxFragmentsPerMessage: number;
  /** Largest fragment payload the path carries (reservation before a message's size is known). */
  maxPayload: number;
  /** Ranges kept in the finished-message set; older history collapses into a floor. */
  maxFinishedRanges: number;
}

export interface IncomingFragment extends MessageShape {
  sequence: number;
  data: Uint8Array;
}

export interface CompletedMessage {
  messageNumber: number;
  data: Uint8Array;
  ordered: boolean;
}

/**
 * - `accepted`: stored (or a duplicate of something already held or delivered): acknowledge it.
 * - `refused`: over a memory cap: do not acknowledge, the sender will try again later.
 * - `invalid`: contradicts what this message already said: drop, do not acknowledge.
 */
export type AcceptOutcome = 'accepted' | 'duplicate' | 'refused' | 'invalid';

export interface AcceptResult {
  outcome: AcceptOutcome;
  /** Messages that became deliverable, in delivery order. */
  deliver: CompletedMessage[];
  /** This fragment completed its message (which may still wait for its turn). */
  completed?: true;
}

/**
 * Receiver-side reassembly, per message number: buffers in progress, the set of finished
 * message numbers (so that a late duplicate is never delivered twice), ordered release, and the
 * memory caps. A message is admitted whole: its reservation (fragment count times piece size)
 * must fit, so once admitted it can always complete. The next ordered message in line is
 * admitted even over the caps, which bounds the overshoot to one message and prevents a
 * deadlock where held messages wait for one that cannot get in.
 */
export class IncomingMessages {
  private readonly inProgress = new Map<number, ReassemblyBuffer>();
  private readonly finished: RangeSet;
  /** Every message number below this is finished (history the range set had to drop). */
  private finishedFloor = 0;
  /** Finished without completing: cancelled, or dropped at the deadline. Rare, so kept apart. */
  private readonly abandoned = new RangeSet();
  /**
   * Below this, `finished` may hold numbers never seen (swallowed when its history was cut) or
   * abandoned ones no longer listed: a CANCEL there is answered `abandoned`, never `completed`,
   * since a wrong `completed` would make the sender report delivered a message we never had.
   */
  private certainFrom = 0;
  private readonly ordered: OrderedDelivery<CompletedMessage>;
  private reserved = 0;
  private heldBytes = 0;

  constructor(private readonly limits: IncomingLimits) {
    this.finished = new RangeSet();
    this.ordered = new OrderedDelivery<CompletedMessage>(
      { isFinished: (n) => this.isFinished(n), isInProgress: (n) => this.inProgress.has(n) },
      limits.maxMessagesInProgress * 4,
    );
  }

  get messagesInProgress(): number {
    return this.inProgress.size;
  }

  /** Bytes reserved (in progress) plus bytes held for ordered release. */
  get bufferedBytes(): number {
    return this.reserved + this.heldBytes;
  }

  get orderedWaiting(): number {
    return this.ordered.waiting;
  }

  get orderedSkipped(): number {
    return this.ordered.sequencesSkipped;
  }

  /** Fragments still missing across messages in progress. */
  missingFragments(): number {
    let n = 0;
    for (const b of this.inProgress.values()) n += b.missing;
    return n;
  }

  isFinished(messageNumber: number): boolean {
    return messageNumber < this.finishedFloor || this.finished.contains(messageNumber);
  }

  accept(f: IncomingFragment): AcceptResult {
    const none: CompletedMessage[] = [];
    if (this.isFinished(f.messageNumber)) return { outcome: 'duplicate', deliver: none };
    if (f.totalFragments > this.limits.maxFragmentsPerMessage || f.ordered !== (f.orderedSequence !== undefined)) {
      return { outcome: 'invalid', deliver: none };
    }
    if (f.orderedSequence !== undefined && this.ordered.isPast(f.orderedSequence)) return { outcome: 'invalid', deliver: none };
    let buffer = this.inProgress.get(f.messageNumber);
    if (buffer && !buffer.matches(f)) return { outcome: 'invalid', deliver: none };
    const isNew = !buffer;
    if (!buffer) {
      buffer = new ReassemblyBuffer(f);
      const headOfLine = f.orderedSequence !== undefined && f.orderedSequence === this.ordered.expected;
      const wouldReserve = buffer.reservation(this.limits.maxPayload);
      const overCaps =
        this.inProgress.size >= this.limits.maxMessagesInProgress ||
        this.bufferedBytes + wouldReserve > this.limits.maxReassemblyBytes;
      if (overCaps && !headOfLine) return { outcome: 'refused', deliver: none };
    }
    const before = buffer.reservation(this.limits.maxPayload);
    const outcome = buffer.add(f.sequence, f.data);
    if (outcome !== 'new') {
      return { outcome: outcome === 'duplicate' ? 'duplicate' : 'invalid', deliver: none };
    }
    if (isNew) {
      this.inProgress.set(f.messageNumber, buffer);
      this.reserved += before;
      if (f.orderedSequence !== undefined) this.ordered.noteKnown(f.orderedSequence, f.messageNumber);
    }
    // Learning the piece length usually shrinks the reservation.
    this.reserved += buffer.reservation(this.limits.maxPayload) - before;
    if (!buffer.isComplete()) return { outcome: 'accepted', deliver: this.releaseOrdered() };
    return { outcome: 'accepted', deliver: this.complete(buffer), completed: true };
  }

  /**
   * Gives up messages the peer cancelled. `dropped`: those we held part of; `ended`: every one
   * not finished before (dropped, or never seen), whose fragments must not be acknowledged later;
   * `completed`: those we already had whole, the answer the peer waits for (the rest it is told
   * were abandoned).
   */
  cancel(messageNumbers: readonly number[]): { dropped: number[]; ended: number[]; completed: number[]; deliver: CompletedMessage[] } {
    const dropped: number[] = [];
    const ended: number[] = [];
    const completed: number[] = [];
    for (const n of messageNumbers) {
      if (!Number.isInteger(n) || n < 0) continue;
      // Finished includes complete but waiting its turn: it is delivered when its turn comes.
      if (this.isFinished(n)) {
        if (this.isCompleted(n)) completed.push(n);
        continue;
      }
      ended.push(n);
      const buffer = this.inProgress.get(n);
      if (buffer) {
        this.inProgress.delete(n);
        this.reserved -= buffer.reservation(this.limits.maxPayload);
        if (buffer.shape.orderedSequence !== undefined) this.ordered.noteCancelled(buffer.shape.orderedSequence, n);
        dropped.push(n);
      }
      this.markFinished(n);
      this.markAbandoned(n);
    }
    return { dropped, ended, completed, deliver: this.releaseOrdered() };
  }

  /** The whole message arrived (delivered, or held for its ordered turn), as far as we can still tell. */
  isCompleted(messageNumber: number): boolean {
    return messageNumber >= this.certainFrom && this.isFinished(messageNumber) && !this.abandoned.contains(messageNumber);
  }

  private complete(buffer: ReassemblyBuffer): CompletedMessage[] {
    const { messageNumber, orderedSequence } = buffer.shape;
    this.inProgress.delete(messageNumber);
    this.reserved -= buffer.reservation(this.limits.maxPayload);
    this.markFinished(messageNumber);
    const message: CompletedMessage = { messageNumber, data: buffer.assemble(), ordered: orderedSequence !== undefined };
    if (orderedSequence === undefined) return [message, ...this.releaseOrdered()];
    this.ordered.hold(orderedSequence, messageNumber, message);
    this.heldBytes += message.data.length;
    return this.releaseOrdered();
  }

  private releaseOrdered(): CompletedMessage[] {
    if (this.ordered.waiting === 0) return [];
    const released = this.ordered.release();
    for (const m of released) {
      this.heldBytes -= m.data.length;
    }
    return released;
  }

  private markFinished(messageNumber: number): void {
    this.finished.insert(messageNumber);
    while (this.finished.size > this.limits.maxFinishedRanges) {
      const lowest = this.finished.list()[0]!;
      this.finishedFloor = Math.max(this.finishedFloor, lowest.end + 1);
      this.finished.removeBelow(this.finishedFloor);
      this.forgetBelow(this.finishedFloor);
    }
    // Collapse the contiguous prefix into the floor: the common case keeps the set tiny.
    const first = this.finished.list()[0];
    if (first && first.start <= this.finishedFloor) {
      this.finishedFloor = Math.max(this.finishedFloor, first.end + 1);
      this.finished.removeBelow(this.finishedFloor);
    }
  }

  private markAbandoned(messageNumber: number): void {
    this.abandoned.insert(messageNumber);
    while (this.abandoned.size > this.limits.maxFinishedRanges) this.forgetBelow(this.abandoned.list()[0]!.end + 1);
  }

  private forgetBelow(n: number): void {
    this.certainFrom = Math.max(this.certainFrom, n);
    this.abandoned.removeBelow(this.certainFrom);
  }
}
