import type { ShardingDecision } from '../shard/sharding-policy.js';

export interface SendOptions {
  /**
   * Retransmit lost fragments (default true); with `deadlineMs`, only until the deadline. With
   * `reliable: false` nothing is resent: the message expires at its first lost fragment.
   */
  reliable?: boolean;
  /** Deliver in send order relative to other ordered messages (default true). */
  ordered?: boolean;
  /**
   * Give up this many ms after `send` (finite; leave it out for none). The peer delivers the
   * message only if it has all of it by then, as its clock places the deadline: late by the
   * least queueing delay recent PROBEs met, or early by half the difference of the one-way
   * delays on an asymmetric path (PROTOCOL.md 6.5); otherwise it expires on both sides. The
   * sender's `expired` comes at the deadline, or, when every fragment had left, once the peer
   * answers the CANCEL that it did not have the whole message (about a round trip later; up to
   * `recovery.cancelAnswerTimeoutPtos` probe timeouts on a path that returns nothing). An
   * ordered message complete in time can still wait behind an earlier ordered one.
   */
  deadlineMs?: number;
  /** Higher goes first among messages waiting to be sent (default 0). */
  priority?: number;
}

/**
 * `lapsed`: its deadline passed after every fragment had left once. Nothing more is sent, but the
 * peer may have completed it in time: it settles as delivered if the acknowledgements arrive
 * within a grace period, else as expired.
 */
export type OutgoingState = 'queued' | 'sending' | 'sent' | 'lapsed' | 'delivered' | 'expired';

/**
 * One application message on the sending side, from `send` until the peer has all of it or it
 * expires. Its fragment size is fixed when its first fragment leaves (so the sharding policy
 * sees the congestion state of that moment) and never changes after.
 */
export class OutgoingMessage {
  state: OutgoingState = 'queued';
  fragmentSize = 0;
  totalFragments = 0;
  sharded = false;
  /** Its retransmissions go out twice (`recovery.duplicateRetransmissions`). */
  duplicateResends = false;
  /** Next fragment never sent. */
  nextUnsent = 0;
  /** Once lapsed: when it expires if the receiver's answer to its CANCEL has not come. */
  answerDueAt = Number.POSITIVE_INFINITY;
  private acked: Uint8Array = new Uint8Array(0);
  /** Packet number of each fragment's latest copy on the wire (first send or retransmission). */
  private latestPacket: Float64Array = new Float64Array(0);
  private ackedFragments = 0;

  constructor(
    readonly id: string,
    readonly messageNumber: number,
    readonly data: Uint8Array,
    readonly reliable: boolean,
    readonly orderedSequence: number | undefined,
    readonly deadline: number | undefined,
    readonly priority: number,
  ) {}

  get ordered(): boolean {
    return this.orderedSequence !== undefined;
  }

  get settled(): boolean {
    return this.state === 'delivered' || this.state === 'expired';
  }

  /** Fragments of it are still worth sending. */
  get live(): boolean {
    return !this.settled && this.state !== 'lapsed';
  }

  start(decision: ShardingDecision): void {
    this.fragmentSize = decision.fragmentSize;
    this.totalFragments = decision.totalFragments;
    this.sharded = decision.sharded;
    this.duplicateResends = decision.duplicateResends ?? false;
    this.acked = new Uint8Array(decision.totalFragments);
    this.latestPacket = new Float64Array(decision.totalFragments).fill(-1);
    this.state = 'sending';
  }

  fragment(sequence: number): Uint8Array {
    const start = sequence * this.fragmentSize;
    return this.data.subarray(start, start + this.fragmentLength(sequence));
  }

  /** Bytes of fragment `sequence`: `fragmentSize`, less for the last one. */
  fragmentLength(sequence: number): number {
    return Math.min(this.fragmentSize, this.data.length - sequence * this.fragmentSize);
  }

  /** Takes the next never-sent fragment's sequence number. */
  takeUnsent(): number {
    const sequence = this.nextUnsent++;
    if (this.nextUnsent >= this.totalFragments) this.state = 'sent';
    return sequence;
  }

  /** Bytes of the fragments never sent. */
  unsentBytes(): number {
    return this.state === 'sending' ? this.data.length - Math.min(this.data.length, this.nextUnsent * this.fragmentSize) : 0;
  }

  hasUnsent(): boolean {
    return this.state === 'sending' && this.nextUnsent < this.totalFragments;
  }

  onSent(sequence: number, packetNumber: number): void {
    this.latestPacket[sequence] = packetNumber;
  }

  /** Packet number of the fragment's latest copy (-1 before it was sent). */
  latestPacketOf(sequence: number): number {
    return this.latestPacket[sequence] ?? -1;
  }

  isAcked(sequence: number): boolean {
    return this.acked[sequence] === 1;
  }

  /** Returns true when this completes the message. */
  markAcked(sequence: number): boolean {
    if (this.settled || this.acked[sequence] !== 0) return false;
    this.acked[sequence] = 1;
    this.ackedFragments++;
    return this.ackedFragments === this.totalFragments;
  }
}
