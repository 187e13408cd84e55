/**
 * Retransmission timeout as dcsctp computes it (net/dcsctp/tx/retransmission_timeout.cc):
 * RFC 4960 §6.3.1 smoothing (alpha 1/8, beta 1/4), except that the variance term 4*RTTVAR is
 * kept at or above `min_rtt_variance` (220 ms by default) so the RTO always covers the peer's
 * delayed-SACK timer, then clamped to [rto_min, rto_max].
 */
export interface RtoOptions {
  initialMs: number;
  minMs: number;
  maxMs: number;
  minRttVarianceMs: number;
}

export class RtoEstimator {
  private srttMs: number | undefined;
  /** 4 * RTTVAR, the term that enters the RTO. */
  private varianceTermMs = 0;
  private rtoMs: number;

  constructor(private readonly options: RtoOptions) {
    this.rtoMs = options.initialMs;
  }

  get rto(): number {
    return this.rtoMs;
  }

  get srtt(): number | undefined {
    return this.srttMs;
  }

  observe(rttMs: number): void {
    // dcsctp drops implausible samples (rtt_max defaults to 60 s).
    if (!(rttMs >= 0) || rttMs > 60_000) return;
    if (this.srttMs === undefined) {
      this.srttMs = rttMs;
      this.varianceTermMs = 2 * rttMs; // RTTVAR = R/2
    } else {
      const diff = Math.abs(rttMs - this.srttMs);
      this.srttMs += (rttMs - this.srttMs) / 8;
      this.varianceTermMs += diff - this.varianceTermMs / 4;
    }
    this.varianceTermMs = Math.max(this.varianceTermMs, this.options.minRttVarianceMs);
    this.rtoMs = Math.min(Math.max(this.srttMs + this.varianceTermMs, this.options.minMs), this.options.maxMs);
  }
}
