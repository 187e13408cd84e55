import type { FragmentHeader } from '../wire/types.js';
import { IncomingMessages, type CompletedMessage } from '../reassembly/incoming-messages.js';
import { AckTracker, type AckFrameContent } from '../recovery/ack-tracker.js';
import { ArrivalStats } from '../recovery/arrival-stats.js';
import { NackScheduler, type NackDecision, type PathContext } from '../recovery/nack-scheduler.js';
import { RangeSet, type Range } from '../recovery/range-set.js';
import type { LossPredictor } from '../predict/loss-predictor.js';
import type { PduConfig } from './config.js';

export interface IncomingSink {
  message(message: CompletedMessage, now: number): void;
  /** The peer cancelled a message we held part of. */
  cancelled(messageNumber: number, now: number): void;
  /** Per-fragment trace hook. */
  fragmentEvent(event: string, packetNumber: number, now: number, fragment?: { messageNumber: number; sequence: number }): void;
  nackDecision(decision: NackDecision, now: number): void;
}

/**
 * The receiving half of a session: reassembly and ordered release, acknowledgement scheduling,
 * and the hole tracking that turns the loss predictor's verdicts into NACKs.
 */
export class IncomingStream {
  private readonly acks: AckTracker;
  private readonly holes: NackScheduler;
  private readonly arrivals = new ArrivalStats();
  /** Per message in progress, the lowest and highest packet numbers that brought its fragments. */
  private readonly packetSpans = new Map<number, { first: number; last: number }>();
  readonly reassembly: IncomingMessages;
  readonly counts = {
    duplicateFragments: 0,
    refusedFragments: 0,
    invalidFragments: 0,
    nacksSent: 0,
    messagesReceived: 0,
    cancelledByPeer: 0,
  };

  constructor(
    private readonly config: PduConfig,
    predictor: LossPredictor,
    maxPayload: number,
    private readonly sink: IncomingSink,
  ) {
    const a = config.ack;
    this.acks = new AckTracker(
      { ackEveryPackets: a.ackEveryPackets, maxAckDelayMs: a.maxAckDelayMs, maxAckRanges: a.maxAckRanges, rangeRepeats: a.rangeRepeats },
      a.maxAckRanges * 4,
    );
    this.holes = new NackScheduler(predictor, this.arrivals, {
      maxHoles: config.limits.maxTrackedHoles,
      maxRunTracked: config.limits.maxTrackedHoles,
      maxTailRequest: 16,
      holeLifetimeRtts: 4,
    });
    const limits = config.limits;
    this.reassembly = new IncomingMessages({
      maxMessagesInProgress: limits.maxMessagesInProgress,
      maxReassemblyBytes: limits.maxReassemblyBytes,
      maxFragmentsPerMessage: Math.ceil(limits.maxMessageBytes / Math.min(config.sharding.minFragmentSize, maxPayload)) + 1,
      maxPayload,
      maxFinishedRanges: limits.maxMessagesInProgress * 4,
    });
  }

  get receiveLossRate(): number {
    return this.arrivals.lossRate;
  }

  get trackedHoles(): number {
    return this.holes.openHoles;
  }

  onData(packetNumber: number, f: FragmentHeader, now: number, ctx: PathContext): void {
    const ref = { messageNumber: f.messageNumber, sequence: f.sequenceNumber };
    const result = this.reassembly.accept({
      messageNumber: f.messageNumber,
      totalFragments: f.totalFragments,
      ordered: f.ordered,
      reliable: f.reliable,
      orderedSequence: f.orderedSequence,
      sequence: f.sequenceNumber,
      data: f.data,
    });
    // Arrival is arrival, whatever reassembly made of it: the packet is no hole.
    this.holes.onPacket(packetNumber, now, ctx);
    switch (result.outcome) {
      case 'refused':
        // Not acknowledged: the sender keeps it and tries again once memory frees up.
        this.counts.refusedFragments++;
        this.sink.fragmentEvent('refused', packetNumber, now, ref);
        return;
      case 'invalid':
        this.counts.invalidFragments++;
        this.sink.fragmentEvent('invalid', packetNumber, now, ref);
        return;
      case 'duplicate':
        this.counts.duplicateFragments++;
        this.sink.fragmentEvent('duplicate', packetNumber, now, ref);
        break;
      case 'accepted':
        this.sink.fragmentEvent('received', packetNumber, now, ref);
        this.notePacketSpan(f.messageNumber, packetNumber, result.completed === true);
        break;
    }
    this.acks.onPacket(packetNumber, true, now);
    for (const m of result.deliver) {
      this.counts.messagesReceived++;
      this.sink.message(m, now);
    }
    this.updateTail(now, ctx);
  }

  onControl(packetNumber: number, ackEliciting: boolean, now: number, ctx: PathContext): void {
    this.holes.onPacket(packetNumber, now, ctx);
    this.acks.onPacket(packetNumber, ackEliciting, now);
  }

  onCancel(messageNumbers: readonly number[], now: number, ctx: PathContext): void {
    for (const n of messageNumbers) this.packetSpans.delete(n);
    const { dropped, deliver } = this.reassembly.cancel(messageNumbers);
    for (const n of dropped) {
      this.counts.cancelledByPeer++;
      this.sink.cancelled(n, now);
    }
    for (const m of deliver) {
      this.counts.messagesReceived++;
      this.sink.message(m, now);
    }
    this.updateTail(now, ctx);
  }

  /** An ACK frame if one is due at `now` (the caller sends it and calls `onAckSent`). */
  ackIfDue(now: number): AckFrameContent | undefined {
    return this.acks.wantsAck(now) ? this.acks.buildAck(now) : undefined;
  }

  /** An ACK frame regardless of schedule (to ride along with other control frames). */
  ackNow(now: number): AckFrameContent | undefined {
    return this.acks.buildAck(now);
  }

  onAckSent(): void {
    this.acks.onAckSent();
  }

  /** NACK ranges due at `now`, largest first. */
  takeNacks(now: number, ctx: PathContext): Range[] {
    const due = this.holes.takeDue(now, ctx);
    if (due.length === 0) return [];
    const set = new RangeSet();
    for (const d of due) {
      set.insert(d.packetNumber);
      this.sink.nackDecision(d, now);
    }
    this.counts.nacksSent += due.length;
    return set.descending(this.config.ack.maxNackRanges);
  }

  nextTimeout(srttMs: number): number | undefined {
    const times = [this.acks.ackDeadline(), this.holes.nextTime(), this.holes.nextExpiry(srttMs)];
    let t: number | undefined;
    for (const x of times) if (x !== undefined && (t === undefined || x < t)) t = x;
    return t;
  }

  /** Widens the message's packet span; once it completes, its holes close. */
  private notePacketSpan(messageNumber: number, packetNumber: number, completed: boolean): void {
    const span = this.packetSpans.get(messageNumber);
    if (completed) {
      if (span) this.holes.closeWithin(Math.min(span.first, packetNumber), Math.max(span.last, packetNumber));
      this.packetSpans.delete(messageNumber);
      return;
    }
    if (span) {
      span.first = Math.min(span.first, packetNumber);
      span.last = Math.max(span.last, packetNumber);
      return;
    }
    // Bounded like reassembly itself: the oldest span goes first (its holes then age out).
    if (this.packetSpans.size >= this.config.limits.maxMessagesInProgress) {
      const oldest = this.packetSpans.keys().next();
      if (!oldest.done) this.packetSpans.delete(oldest.value);
    }
    this.packetSpans.set(messageNumber, { first: packetNumber, last: packetNumber });
  }

  /**
   * Fragments missing beyond what unrequested holes explain are expected after the largest
   * packet: not yet sent, or resent under new numbers after a NACK.
   */
  private updateTail(now: number, ctx: PathContext): void {
    const unexplained = this.reassembly.missingFragments() - this.holes.unrequestedHoles;
    this.holes.setTailDemand(unexplained, now, ctx);
  }
}
