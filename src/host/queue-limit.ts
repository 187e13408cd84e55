/**
 * How many bytes PDU lets wait in the data channel's own queue. That queue is the bottleneck
 * queue (ENVIRONMENT.md): the SCTP association below drains it at its own loss-based rate, about
 * 2.4 Mbit/s at 5% loss and 50 ms RTT, and everything queued there waits its turn with no way
 * back. So the limit follows the measured drain rate: what the channel sends in `targetDelayMs`,
 * never below `floorBytes` (the channel must not run dry between two wake-ups) nor above the
 * adapter's own high-water mark.
 */
export class ChannelQueueLimit {
  /** Drain rate, bytes/ms, smoothed over windows of at least `windowMs`. */
  private drainRate = 0;
  private handedOver = 0;
  private windowStart: number | undefined;
  private windowDrained = 0;

  constructor(
    private readonly targetDelayMs: number,
    private readonly floorBytes: number,
    private readonly windowMs = 50,
  ) {}

  /** Bytes given to the channel. */
  onSent(bytes: number): void {
    this.handedOver += bytes;
  }

  /** Updates the drain estimate from the channel's queue now; returns the current limit. */
  limit(now: number, queuedBytes: number, ceilingBytes: number): number {
    const drainedSoFar = this.handedOver - queuedBytes;
    if (this.windowStart === undefined) {
      this.windowStart = now;
      this.windowDrained = drainedSoFar;
    } else if (now - this.windowStart >= this.windowMs) {
      const rate = Math.max(0, drainedSoFar - this.windowDrained) / (now - this.windowStart);
      // Only windows in which the channel had something to send say how fast it can go.
      if (queuedBytes > 0 || rate > this.drainRate) this.drainRate = this.drainRate === 0 ? rate : 0.75 * this.drainRate + 0.25 * rate;
      this.windowStart = now;
      this.windowDrained = drainedSoFar;
    }
    return Math.min(ceilingBytes, Math.max(this.floorBytes, this.drainRate * this.targetDelayMs));
  }

  /** Time to wait for `excess` bytes to drain, ms (for the next look at the queue). */
  drainTime(excess: number): number {
    return this.drainRate > 0 ? excess / this.drainRate : 5;
  }
}
