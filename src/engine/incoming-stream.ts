import type { FragmentHeader } from '../wire/types.js';
import { IncomingMessages, type CompletedMessage } from '../reassembly/incoming-messages.js';
import { AckTracker, type AckFrameContent, type AckReason } from '../recovery/ack-tracker.js';
import { ArrivalStats } from '../recovery/arrival-stats.js';
import { NackScheduler, type NackDecision, type PathContext } from '../recovery/nack-scheduler.js';
import { RangeSet, type Range } from '../recovery/range-set.js';
import type { LossPredictor } from '../predict/loss-predictor.js';
import type { PduConfig } from './config.js';
import { DeadlineQueue } from './deadline-queue.js';

export interface IncomingSink {
  message(message: CompletedMessage, now: number): void;
  /** The peer cancelled a message we held part of. */
  cancelled(messageNumber: number, now: number): void;
  /** A message could not complete before its deadline: dropped. */
  missedDeadline(messageNumber: number, now: number): void;
  /** Per-fragment trace hook. */
  fragmentEvent(event: string, packetNumber: number, now: number, fragment?: { messageNumber: number; sequence: number }): void;
  nackDecision(decision: NackDecision, now: number): void;
}

/** The receiver's answer to CANCEL: messages it had whole, and the rest. */
export interface CancelAnswers {
  completed: number[];
  abandoned: number[];
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
  /** Per message in progress that has a deadline, that deadline on our clock. */
  private readonly deadlines = new Map<number, number>();
  /** Timers for `deadlines`; entries of messages settled since stay until due or compacted. */
  private deadlineTimers = new DeadlineQueue<number>();
  /**
   * Messages dropped for missing their deadline or cancelled by the peer unfinished, oldest
   * first (bounded). Their fragments are never acknowledged: the sender settles such a message
   * on our answer to its CANCEL (abandoned), as we reported it; a fragment a CANCEL overtook
   * cannot complete them.
   */
  private readonly missed = new Set<number>();
  /** Answers to the peer's CANCELs not yet sent (CANCEL_RESULT); the peer asks again if one is lost. */
  private answers: CancelAnswers = { completed: [], abandoned: [] };
  readonly reassembly: IncomingMessages;
  readonly counts = {
    duplicateFragments: 0,
    refusedFragments: 0,
    invalidFragments: 0,
    nacksSent: 0,
    messagesReceived: 0,
    cancelledByPeer: 0,
    missedDeadline: 0,
    lateFragments: 0,
    /** Answers to CANCEL dropped over the cap (the peer asks again). */
    cancelAnswersDropped: 0,
  };

  constructor(
    private readonly config: PduConfig,
    predictor: LossPredictor,
    maxPayload: number,
    private readonly sink: IncomingSink,
  ) {
    // config.ack is an AckPolicy (plus the NACK sizes the tracker ignores).
    this.acks = new AckTracker(config.ack, config.ack.maxAckRanges * 4);
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

  /** A DATA fragment; `deadline` is its message's deadline placed on our clock, if it has one. */
  onData(packetNumber: number, f: FragmentHeader, now: number, ctx: PathContext, deadline: number | undefined): void {
    const ref = { messageNumber: f.messageNumber, sequence: f.sequenceNumber };
    if (this.late(f.messageNumber, deadline, now)) {
      this.counts.lateFragments++;
      this.holes.onPacket(packetNumber, now, ctx);
      this.sink.fragmentEvent('late', packetNumber, now, ref);
      return;
    }
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
        if (result.completed) this.deadlines.delete(f.messageNumber);
        else if (deadline !== undefined) this.holdToDeadline(f.messageNumber, deadline);
        break;
    }
    // The second copy of a duplicated resend (C) whose fragment is already here: the first
    // copy's ACK covers the pair, and the sender forgets such a copy once the fragment is
    // acknowledged. Acknowledging it would cost a datagram (and the stack's own acknowledgement
    // of it) for nothing. Any other copy of held content is acknowledged as before: a resend
    // there may mean the sender missed our ACK.
    const settledCopy = result.outcome === 'duplicate' && f.copy === true;
    this.acks.onPacket(packetNumber, !settledCopy, now, ctx.srttMs, f.ackNow === true);
    for (const m of result.deliver) {
      this.counts.messagesReceived++;
      this.sink.message(m, now);
    }
    this.updateTail(now, ctx);
  }

  onControl(packetNumber: number, ackEliciting: boolean, now: number, ctx: PathContext): void {
    this.holes.onPacket(packetNumber, now, ctx);
    this.acks.onPacket(packetNumber, ackEliciting, now, ctx.srttMs);
  }

  onCancel(messageNumbers: readonly number[], now: number, ctx: PathContext): void {
    for (const n of messageNumbers) {
      this.packetSpans.delete(n);
      this.deadlines.delete(n);
    }
    const { dropped, ended, completed, deliver } = this.reassembly.cancel(messageNumbers);
    this.answer(messageNumbers, completed);
    // A fragment the CANCEL overtook must not be acknowledged: the sender, waiting out its
    // deadline's grace, would count it delivered while we report it cancelled.
    for (const n of ended) this.refuseFragmentsOf(n);
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

  /**
   * Every cancelled number gets an answer: the sender of a message whose deadline passed waits
   * for it to report the same outcome we do. Bounded: a peer asks again for a lost answer, so
   * one dropped here costs a round trip, not agreement.
   */
  private answer(messageNumbers: readonly number[], completed: readonly number[]): void {
    const done = new Set(completed);
    const cap = this.config.limits.maxMessagesInProgress * 4;
    for (const n of messageNumbers) {
      if (this.answers.completed.length + this.answers.abandoned.length >= cap) {
        this.counts.cancelAnswersDropped++;
        continue;
      }
      (done.has(n) ? this.answers.completed : this.answers.abandoned).push(n);
    }
  }

  hasCancelAnswers(): boolean {
    return this.answers.completed.length + this.answers.abandoned.length > 0;
  }

  /** Up to `max` answers for one CANCEL_RESULT frame. */
  takeCancelAnswers(max: number): CancelAnswers {
    const completed = this.answers.completed.splice(0, max);
    const abandoned = this.answers.abandoned.splice(0, max - completed.length);
    return { completed, abandoned };
  }

  /** An ACK frame if one is due at `now` (the caller sends it and calls `onAckSent`). */
  ackIfDue(now: number): AckFrameContent | undefined {
    return this.acks.wantsAck(now) ? this.acks.buildAck(now) : undefined;
  }

  /** An ACK frame regardless of schedule (to ride along with other control frames). */
  ackNow(now: number): AckFrameContent | undefined {
    return this.acks.buildAck(now);
  }

  onAckSent(now: number, srttMs: number): void {
    this.acks.onAckSent(now, srttMs);
  }

  acksSentBy(): Record<AckReason, number> {
    return { ...this.acks.sentBy };
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

  /** Drops messages whose deadline has passed incomplete. */
  onTimeout(now: number, ctx: PathContext): void {
    for (let n = this.deadlineTimers.popDue(now); n !== undefined; n = this.deadlineTimers.popDue(now)) {
      // Unless completed or dropped since.
      if (this.deadlines.has(n)) this.dropMissed(n, now);
    }
    this.updateTail(now, ctx);
  }

  nextTimeout(srttMs: number): number | undefined {
    const times = [this.acks.ackDeadline(), this.holes.nextTime(), this.holes.nextExpiry(srttMs), this.deadlineTimers.peekTime()];
    let t: number | undefined;
    for (const x of times) if (x !== undefined && (t === undefined || x < t)) t = x;
    return t;
  }

  /** Whether a fragment of message `n` comes too late: its message missed its deadline, now or before. */
  private late(n: number, deadline: number | undefined, now: number): boolean {
    if (this.missed.has(n)) return true;
    if (deadline === undefined || now <= deadline || this.reassembly.isFinished(n)) return false;
    this.dropMissed(n, now);
    return true;
  }

  /** From now on fragments of message `n` are late: never acknowledged, never reassembled. */
  private refuseFragmentsOf(n: number): void {
    this.missed.delete(n);
    this.missed.add(n);
    if (this.missed.size > this.config.limits.maxMessagesInProgress * 4) this.missed.delete(this.missed.values().next().value!);
  }

  /** Arms the timer that drops message `n` if it is still incomplete at `deadline`. */
  private holdToDeadline(n: number, deadline: number): void {
    if (this.deadlines.has(n)) return;
    const cap = this.config.limits.maxMessagesInProgress * 4;
    // Bounded like reassembly; past the bound a message is simply not timed out here (its late
    // fragments are still refused on arrival).
    if (this.deadlines.size >= cap) return;
    this.deadlines.set(n, deadline);
    this.deadlineTimers.push(deadline, n);
    // Messages that completed leave their timers behind: rebuild before those pile up.
    if (this.deadlineTimers.size > 2 * cap) {
      this.deadlineTimers = new DeadlineQueue<number>();
      for (const [m, t] of this.deadlines) this.deadlineTimers.push(t, m);
    }
  }

  private dropMissed(n: number, now: number): void {
    this.deadlines.delete(n);
    this.packetSpans.delete(n);
    this.refuseFragmentsOf(n);
    this.counts.missedDeadline++;
    this.sink.missedDeadline(n, now);
    for (const m of this.reassembly.cancel([n]).deliver) {
      this.counts.messagesReceived++;
      this.sink.message(m, now);
    }
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
