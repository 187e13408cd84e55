import { RangeSet, type Range } from './range-set.js';

export interface AckPolicy {
  /** Acknowledge after this many ack-eliciting packets even without a reason to hurry. */
  ackEveryPackets: number;
  /** Longest an ack-eliciting packet waits for its ACK (advertised to the sender's PTO). */
  maxAckDelayMs: number;
  /** Ranges reported per ACK, largest first. */
  maxAckRanges: number;
  /**
   * A range stops being reported once this many ACKs have gone out since it was complete:
   * by then the sender has almost surely seen it, and repeating old holes only fattens ACKs.
   */
  rangeRepeats: number;
}

export interface AckFrameContent {
  largest: number;
  ackDelayMs: number;
  ranges: Range[];
}

/**
 * Receiver-side record of packet numbers seen, and when to acknowledge them (RFC 9002 13.2 in
 * spirit): promptly when something is out of order or the sender asks (the A flag on the tail
 * of its flight), every few packets otherwise, never later
 * than the advertised maximum ACK delay. ACK-only packets are recorded but elicit nothing.
 * Each ACK reports the newest ranges; a hole already reported in `rangeRepeats` ACKs is left
 * out (if every one of those ACKs was lost, the sender's timers recover).
 */
export class AckTracker {
  private readonly received: RangeSet;
  private largestTime = 0;
  private unackedEliciting = 0;
  private deadline: number | undefined;
  /** Largest packet number at each of the last `rangeRepeats` ACKs sent, oldest first. */
  private readonly reportedLargest: number[] = [];

  constructor(private readonly policy: AckPolicy, maxStoredRanges: number) {
    this.received = new RangeSet(maxStoredRanges);
  }

  get largest(): number | undefined {
    return this.received.max();
  }

  has(packetNumber: number): boolean {
    return this.received.contains(packetNumber);
  }

  /**
   * Records a packet; returns false for a duplicate. `ackNow`: the sender asked for an immediate
   * ACK (it has nothing more queued, and it times its tail probe on that).
   */
  onPacket(packetNumber: number, ackEliciting: boolean, now: number, ackNow = false): boolean {
    const previousLargest = this.received.max();
    if (!this.received.insert(packetNumber)) return false;
    if (previousLargest === undefined || packetNumber > previousLargest) this.largestTime = now;
    if (!ackEliciting) return true;
    this.unackedEliciting++;
    const outOfOrder = previousLargest !== undefined && packetNumber !== previousLargest + 1;
    if (ackNow || outOfOrder || this.unackedEliciting >= this.policy.ackEveryPackets) this.deadline = now;
    else this.deadline = Math.min(this.deadline ?? Number.POSITIVE_INFINITY, now + this.policy.maxAckDelayMs);
    return true;
  }

  ackDeadline(): number | undefined {
    return this.deadline;
  }

  wantsAck(now: number): boolean {
    return this.deadline !== undefined && this.deadline <= now;
  }

  buildAck(now: number): AckFrameContent | undefined {
    const largest = this.received.max();
    if (largest === undefined) return undefined;
    const ranges = this.received.descending(this.policy.maxAckRanges);
    const floor = this.reportedLargest.length >= this.policy.rangeRepeats ? this.reportedLargest[0]! : -1;
    let keep = 1;
    while (keep < ranges.length && ranges[keep]!.end >= floor) keep++;
    ranges.length = keep;
    return { largest, ackDelayMs: Math.max(0, now - this.largestTime), ranges };
  }

  onAckSent(): void {
    this.unackedEliciting = 0;
    this.deadline = undefined;
    const largest = this.received.max();
    if (largest === undefined) return;
    this.reportedLargest.push(largest);
    if (this.reportedLargest.length > this.policy.rangeRepeats) this.reportedLargest.shift();
  }
}
