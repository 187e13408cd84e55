import type { CongestionReport, CongestionSample } from './congestion-report.js';

/** What the engine's own machinery knows when a report is built. */
export interface PathSnapshot {
  srttMs: number;
  minRttMs: number;
  jitterMs: number;
  /** Bottleneck bandwidth from ACKs, bytes/ms (0 if unknown). */
  deliveryRate: number;
  /** Loss rate the receiver observes on the reverse direction, used when we send too little to tell. */
  receiveLossRate: number;
  /** True when the RTT figures come from real samples (ACKs or probes), not defaults. */
  measured: boolean;
}

export interface SeverityScales {
  /** Loss rate that alone counts as fully severe. */
  lossAtFull: number;
  /** Queueing delay, in multiples of min RTT, that alone counts as fully severe. */
  delayAtFull: number;
  /** Channel queue, in BDPs, that alone counts as fully severe. */
  queueAtFull: number;
}

/**
 * Fuses the engine's in-band measurements (RTT and jitter from ACKs and probes, loss and
 * delivery rate from ACK feedback) with adapter samples (getStats RTT, bufferedAmount,
 * available bitrate) into the seed's CongestionReport. Severity combines three independent
 * pressures, each scaled to [0, 1]: packet loss, queueing delay (srtt above min RTT) and the
 * channel's own queue measured in bandwidth-delay products; severity = 1 - prod(1 - s_i), so any
 * one pressure at full scale makes the path fully congested and small pressures add up.
 */
export class CongestionEstimator {
  private lossEwma = 0;
  private lossEvents = 0;
  private queueing = 0;
  private adapter: Required<Omit<CongestionSample, 'timestamp'>> & { at: number } = {
    rttMs: Number.NaN,
    queueBytes: 0,
    availableBitrate: Number.NaN,
    transportCwndBytes: Number.NaN,
    at: Number.NEGATIVE_INFINITY,
  };

  constructor(
    private readonly scales: SeverityScales,
    /** Weight of one packet outcome in the loss average: about the last 1/gain packets count. */
    private readonly lossGain = 1 / 128,
  ) {}

  /**
   * The latest report's pressure from queueing alone: delay and the queue below PDU, combined as
   * in the severity, loss left out (0..1). What extra bytes would wait behind.
   */
  get queueingPressure(): number {
    return this.queueing;
  }

  /** Smoothed share of sent packets lost (0 before any outcome). */
  get lossRate(): number {
    return this.lossEwma;
  }

  /** One acknowledged (false) or lost (true) packet on the send path. */
  onPacketOutcome(lost: boolean): void {
    this.lossEvents++;
    this.lossEwma += ((lost ? 1 : 0) - this.lossEwma) * this.lossGain;
  }

  /** A packet declared lost was acknowledged after all: take the loss back. */
  onSpuriousLoss(): void {
    this.lossEwma = Math.max(0, this.lossEwma - this.lossGain);
  }

  onSample(sample: CongestionSample, now: number): void {
    const s = this.adapter;
    if (sample.rttMs !== undefined && Number.isFinite(sample.rttMs) && sample.rttMs >= 0) s.rttMs = sample.rttMs;
    if (sample.queueBytes !== undefined && Number.isFinite(sample.queueBytes) && sample.queueBytes >= 0) {
      s.queueBytes = sample.queueBytes;
    }
    if (sample.availableBitrate !== undefined && Number.isFinite(sample.availableBitrate) && sample.availableBitrate > 0) {
      s.availableBitrate = sample.availableBitrate;
    }
    if (sample.transportCwndBytes !== undefined && Number.isFinite(sample.transportCwndBytes)) {
      s.transportCwndBytes = sample.transportCwndBytes;
    }
    s.at = sample.timestamp ?? now;
  }

  report(path: PathSnapshot, now: number): CongestionReport {
    // Until our own samples exist, an adapter RTT (ICE checks) is better than the default.
    const latency = !path.measured && Number.isFinite(this.adapter.rttMs) ? this.adapter.rttMs : path.srttMs;
    const minRtt = Math.max(1, Math.min(path.minRttMs, latency));
    const packetLoss = this.lossEvents >= 16 ? this.lossEwma : Math.max(this.lossEwma, path.receiveLossRate);
    const ownBitsPerSecond = path.deliveryRate * 8000;
    const bandwidth = Number.isFinite(this.adapter.availableBitrate)
      ? ownBitsPerSecond > 0
        ? Math.min(ownBitsPerSecond, this.adapter.availableBitrate)
        : this.adapter.availableBitrate
      : ownBitsPerSecond;
    const bdpBytes = Math.max(path.deliveryRate * minRtt, 1);
    const queueBytes = this.adapter.queueBytes;
    const lossPressure = clamp01(packetLoss / this.scales.lossAtFull);
    const delayPressure = clamp01((path.srttMs - minRtt) / minRtt / this.scales.delayAtFull);
    const queuePressure = path.deliveryRate > 0 ? clamp01(queueBytes / bdpBytes / this.scales.queueAtFull) : 0;
    this.queueing = 1 - (1 - delayPressure) * (1 - queuePressure);
    const severity = 1 - (1 - lossPressure) * (1 - this.queueing);
    return { timestamp: now, latency, jitter: path.jitterMs, packetLoss, bandwidth, queueBytes, severity };
  }
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}
