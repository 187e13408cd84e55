import { RangeSet, type Range } from './range-set.js';

export interface AckPolicy {
  /** Acknowledge after this many ack-eliciting packets even without a reason to hurry. */
  ackEveryPackets: number;
  /** Longest an ack-eliciting packet waits for its ACK (advertised to the sender's PTO). */
  maxAckDelayMs: number;
  /** Fraction of the smoothed RTT an arrival out of order waits for its ACK (0: at once). */
  outOfOrderAckDelayRtt: number;
  /** Fraction of the smoothed RTT an ACK the sender asked for waits (0: at once). */
  askedAckDelayRtt: number;
  /** Fraction of the smoothed RTT after which an ACK reporting a new hole is repeated (0: never). */
  holeAckRepeatRtt: number;
  /** Ranges reported per ACK, largest first. */
  maxAckRanges: number;
  /**
   * A range stops being reported once this many ACKs have gone out since it was complete:
   * by then the sender has almost surely seen it, and repeating old holes only fattens ACKs.
   * A packet that arrives late, below ranges already left out, is reported in this many ACKs
   * all the same.
   */
  rangeRepeats: number;
}

/**
 * Why an ACK went out: the sender asked (A flag), enough packets arrived, one arrived out of
 * order, the maximum ACK delay ran out, a new hole's report was repeated, or it rode along with
 * another control frame before any of those was due.
 */
export type AckReason = 'asked' | 'count' | 'outOfOrder' | 'delayed' | 'holeRepeat' | 'alongside';

export interface AckFrameContent {
  largest: number;
  ackDelayMs: number;
  ranges: Range[];
}

/**
 * Receiver-side record of packet numbers seen, and when to acknowledge them (RFC 9002 13.2 in
 * spirit): almost at once when the sender asks (the A flag: a retransmission, or the tail of its
 * flight; a moment later, for what crossed other stripes) and every few packets; soon (a small
 * fraction of the RTT) when something is out of order, so that a burst reordered across stripes
 * draws one ACK rather than one per packet; never later than the advertised maximum ACK delay.
 * An ACK that reports a new hole goes out a second time shortly after, unless another has by
 * then: losing it would leave the sender blind to the loss until a timer. ACK-only packets are recorded but elicit nothing.
 * Each ACK reports the newest ranges; a hole already reported in `rangeRepeats` ACKs is left
 * out (if every one of those ACKs was lost, the sender's timers recover).
 */
export class AckTracker {
  private readonly received: RangeSet;
  private largestTime = 0;
  private unackedEliciting = 0;
  private deadline: number | undefined;
  private deadlineReason: AckReason = 'delayed';
  /** When to repeat the last ACK, which reported a new hole (undefined: no repeat due). */
  private repeatAt: number | undefined;
  /** Largest packet number at each of the last `rangeRepeats` ACKs sent, oldest first. */
  private readonly reportedLargest: number[] = [];
  /**
   * Packets that arrived below the largest seen, each with the ACKs it still has to appear in:
   * on a reordering path they fill holes that ACKs may already leave out, and unreported they
   * would be declared lost and resent for nothing. Oldest first, bounded.
   */
  private readonly lateArrivals: { packetNumber: number; reportsLeft: number }[] = [];
  private readonly maxLateArrivals: number;
  /** Ranges of the ACK last built, which `onAckSent` counts as reported. */
  private lastBuilt: Range[] = [];

  /** ACKs sent, by what made each one due. */
  readonly sentBy: Record<AckReason, number> = { asked: 0, count: 0, outOfOrder: 0, delayed: 0, holeRepeat: 0, alongside: 0 };

  constructor(private readonly policy: AckPolicy, maxStoredRanges: number) {
    this.received = new RangeSet(maxStoredRanges);
    this.maxLateArrivals = maxStoredRanges;
  }

  get largest(): number | undefined {
    return this.received.max();
  }

  has(packetNumber: number): boolean {
    return this.received.contains(packetNumber);
  }

  /**
   * Records a packet; returns false for a duplicate. `ackNow`: the sender asked for an immediate
   * ACK (a retransmission, or nothing more queued; it times its tail probe on that). `srttMs`
   * scales the delay of an ACK for an arrival out of order.
   */
  onPacket(packetNumber: number, ackEliciting: boolean, now: number, srttMs: number, ackNow = false): boolean {
    const previousLargest = this.received.max();
    if (!this.received.insert(packetNumber)) return false;
    if (previousLargest === undefined || packetNumber > previousLargest) this.largestTime = now;
    else {
      this.lateArrivals.push({ packetNumber, reportsLeft: this.policy.rangeRepeats });
      if (this.lateArrivals.length > this.maxLateArrivals) this.lateArrivals.shift();
    }
    if (!ackEliciting) return true;
    this.unackedEliciting++;
    const outOfOrder = previousLargest !== undefined && packetNumber !== previousLargest + 1;
    let delay = this.policy.maxAckDelayMs;
    let reason: AckReason = 'delayed';
    if (ackNow) [delay, reason] = [Math.min(delay, srttMs * this.policy.askedAckDelayRtt), 'asked'];
    else if (this.unackedEliciting >= this.policy.ackEveryPackets) [delay, reason] = [0, 'count'];
    else if (outOfOrder && srttMs * this.policy.outOfOrderAckDelayRtt < delay) [delay, reason] = [srttMs * this.policy.outOfOrderAckDelayRtt, 'outOfOrder'];
    if (this.deadline === undefined || now + delay < this.deadline) {
      this.deadline = now + delay;
      this.deadlineReason = reason;
    }
    return true;
  }

  ackDeadline(): number | undefined {
    if (this.repeatAt === undefined) return this.deadline;
    return Math.min(this.deadline ?? Number.POSITIVE_INFINITY, this.repeatAt);
  }

  wantsAck(now: number): boolean {
    const due = this.ackDeadline();
    return due !== undefined && due <= now;
  }

  buildAck(now: number): AckFrameContent | undefined {
    const largest = this.received.max();
    if (largest === undefined) return undefined;
    // Every range down to the floor, none below: the sender reads a packet inside the frame's span
    // that the frame leaves out as not received (its lane rule), so the span has no omissions.
    let floor = this.reportedLargest.length >= this.policy.rangeRepeats ? this.reportedLargest[0]! : -1;
    for (const l of this.lateArrivals) floor = Math.min(floor, l.packetNumber);
    const ranges = this.received.descending(this.policy.maxAckRanges);
    let keep = 1;
    while (keep < ranges.length && ranges[keep]!.end >= floor) keep++;
    ranges.length = keep;
    this.lastBuilt = ranges;
    return { largest, ackDelayMs: Math.max(0, now - this.largestTime), ranges };
  }

  onAckSent(now: number, srttMs: number): void {
    let reason: AckReason = 'alongside';
    if (this.deadline !== undefined && this.deadline <= now) reason = this.deadlineReason;
    else if (this.repeatAt !== undefined && this.repeatAt <= now) reason = 'holeRepeat';
    this.sentBy[reason]++;
    this.countReported();
    this.unackedEliciting = 0;
    this.deadline = undefined;
    this.repeatAt = undefined;
    const largest = this.received.max();
    if (largest === undefined) return;
    const previous = this.reportedLargest[this.reportedLargest.length - 1];
    this.reportedLargest.push(largest);
    if (this.reportedLargest.length > this.policy.rangeRepeats) this.reportedLargest.shift();
    // The hole just below the newest range is new if its top lies above what the previous ACK
    // reported (a hole only ever opens above the largest packet seen so far).
    const ranges = this.received.list();
    const newest = ranges[ranges.length - 1]!;
    const newHole = ranges.length > 1 && (previous === undefined || newest.start - 1 > previous);
    if (newHole && this.policy.holeAckRepeatRtt > 0) this.repeatAt = now + srttMs * this.policy.holeAckRepeatRtt;
  }

  /** The late arrivals the ACK just sent reported: one report fewer to go. */
  private countReported(): void {
    let kept = 0;
    for (const l of this.lateArrivals) {
      if (this.lastBuilt.some((r) => l.packetNumber >= r.start && l.packetNumber <= r.end)) l.reportsLeft--;
      if (l.reportsLeft > 0) this.lateArrivals[kept++] = l;
    }
    this.lateArrivals.length = kept;
    this.lastBuilt = [];
  }
}
