/**
 * Round-trip time estimator after RFC 6298 and RFC 9002 section 5: smoothed RTT and RTT
 * variation with gains 1/8 and 1/4, a minimum RTT that ignores ACK delay (RFC 9002 5.2), and a
 * separate jitter estimate (RFC 3550 style mean deviation between consecutive samples) that
 * the loss predictor and the congestion report use.
 */
export class RttEstimator {
  private smoothed: number | undefined;
  private variation: number;
  private minimum = Number.POSITIVE_INFINITY;
  private latestSample: number;
  private previousSample: number | undefined;
  private jitterMs = 0;
  private sampleCount = 0;

  constructor(private readonly initialRttMs: number) {
    this.latestSample = initialRttMs;
    this.variation = initialRttMs / 2;
  }

  /** Smoothed RTT; the configured initial RTT until the first sample. */
  get srtt(): number {
    return this.smoothed ?? this.initialRttMs;
  }

  get rttvar(): number {
    return this.variation;
  }

  get minRtt(): number {
    return Number.isFinite(this.minimum) ? this.minimum : this.initialRttMs;
  }

  get latest(): number {
    return this.latestSample;
  }

  get jitter(): number {
    return this.jitterMs;
  }

  get samples(): number {
    return this.sampleCount;
  }

  hasSample(): boolean {
    return this.smoothed !== undefined;
  }

  /**
   * @param rawRtt time from sending the largest newly acknowledged packet to receiving its ACK.
   * @param ackDelay the delay the peer reports between receiving that packet and sending the ACK.
   */
  update(rawRtt: number, ackDelay: number): void {
    if (!Number.isFinite(rawRtt) || rawRtt < 0) return;
    this.sampleCount++;
    this.minimum = Math.min(this.minimum, rawRtt);
    // RFC 9002 5.3: subtract the ACK delay only if that does not go below min RTT.
    const delay = Math.max(0, Number.isFinite(ackDelay) ? ackDelay : 0);
    const adjusted = rawRtt - delay >= this.minimum ? rawRtt - delay : rawRtt;
    this.latestSample = adjusted;
    if (this.previousSample !== undefined) {
      this.jitterMs += (Math.abs(adjusted - this.previousSample) - this.jitterMs) / 16;
    }
    this.previousSample = adjusted;
    if (this.smoothed === undefined) {
      this.smoothed = adjusted;
      this.variation = adjusted / 2;
      return;
    }
    this.variation = 0.75 * this.variation + 0.25 * Math.abs(this.smoothed - adjusted);
    this.smoothed = 0.875 * this.smoothed + 0.125 * adjusted;
  }

  /**
   * Probe timeout (RFC 9002 6.2.1): srtt + max(4 rttvar, granularity) + max_ack_delay, doubled
   * per consecutive PTO, clamped to the configured bounds.
   */
  pto(maxAckDelay: number, backoff: number, granularity: number, minPto: number, maxPto: number): number {
    const base = this.srtt + Math.max(4 * this.variation, granularity) + maxAckDelay;
    return Math.min(maxPto, Math.max(minPto, base) * 2 ** Math.min(backoff, 16));
  }
}
