/** Per-packet state the delivery-rate sampler snapshots at send time. */
export interface RateSnapshot {
  delivered: number;
  deliveredTime: number;
  firstSentTime: number;
  appLimited: boolean;
  timeSent: number;
  bytes: number;
}

export interface RateSample {
  /** Bytes per ms. */
  rate: number;
  appLimited: boolean;
  /** Total delivered when the sampled packet was sent: marks round trips. */
  priorDelivered: number;
}

/**
 * Delivery-rate estimation after draft-cheng-iccrg-delivery-rate-estimation: each packet carries
 * the connection's delivered count and times at send; on ACK the rate is the data delivered
 * since then over the longer of the send and ACK intervals, which is robust to ACK compression.
 */
export class DeliveryRateSampler {
  private deliveredBytes = 0;
  private deliveredTime = 0;
  private firstSentTime = 0;
  private appLimitedUntil = 0;

  get delivered(): number {
    return this.deliveredBytes;
  }

  snapshot(now: number, bytes: number, bytesInFlight: number): RateSnapshot {
    if (bytesInFlight === 0) {
      this.firstSentTime = now;
      this.deliveredTime = now;
    }
    return {
      delivered: this.deliveredBytes,
      deliveredTime: this.deliveredTime,
      firstSentTime: this.firstSentTime,
      appLimited: this.appLimitedUntil > 0,
      timeSent: now,
      bytes,
    };
  }

  /** The sender has nothing to send and room to send it: samples until this data is acked understate capacity. */
  markAppLimited(bytesInFlight: number): void {
    this.appLimitedUntil = Math.max(this.deliveredBytes + bytesInFlight, 1);
  }

  /** Processes newly acknowledged packets (one ACK) and returns a rate sample, if any. */
  onAck(acked: readonly RateSnapshot[], now: number, minRttMs: number): RateSample | undefined {
    let newest: RateSnapshot | undefined;
    for (const p of acked) {
      this.deliveredBytes += p.bytes;
      this.deliveredTime = now;
      if (!newest || p.delivered > newest.delivered || (p.delivered === newest.delivered && p.timeSent > newest.timeSent)) {
        newest = p;
      }
    }
    if (!newest) return undefined;
    if (this.appLimitedUntil > 0 && this.deliveredBytes > this.appLimitedUntil) this.appLimitedUntil = 0;
    this.firstSentTime = newest.timeSent;
    const sendElapsed = newest.timeSent - newest.firstSentTime;
    const ackElapsed = now - newest.deliveredTime;
    const interval = Math.max(sendElapsed, ackElapsed);
    // Intervals shorter than min RTT come from ACK compression and overstate the rate.
    if (interval <= 0 || interval < minRttMs * 0.5) return undefined;
    return {
      rate: (this.deliveredBytes - newest.delivered) / interval,
      appLimited: newest.appLimited,
      priorDelivered: newest.delivered,
    };
  }
}
