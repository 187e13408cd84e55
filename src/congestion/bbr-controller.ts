import type { RateSample } from './delivery-rate.js';
import { WindowedMaxFilter } from './windowed-filter.js';

export interface BbrOptions {
  maxDatagramSize: number;
  /** Congestion window before any measurement, in datagrams. */
  initialWindowPackets: number;
  /** Smallest congestion window, in datagrams. */
  minWindowPackets: number;
  /**
   * Round trip the window is sized for at least, ms. On a sub-millisecond path the measured min
   * RTT is far below the real ACK loop (ACK batching, worker and event-loop hops), and a window
   * of 2 x bw x minRtt starves the sender; the channel queue, not this window, bounds latency.
   */
  windowRttFloorMs: number;
  /** Ceiling on the pacing rate, bytes/ms: a forged ACK stream cannot push the sender past it. */
  maxPacingRate: number;
  /** Floor on the pacing rate, bytes/ms. */
  minPacingRate: number;
  /**
   * Datagrams the channel below may hold (bufferedAmount) before the sender slows down, or one
   * BDP (bandwidth x max(RTprop, `windowRttFloorMs`)) when that is more: this queue is the bottleneck queue
   * (ENVIRONMENT.md), so it is kept near one BDP.
   */
  queueTargetPackets: number;
}

type Mode = 'startup' | 'drain' | 'probe-bw';

const STARTUP_GAIN = 2.885; // 2/ln 2: doubles the delivery rate each round trip
const DRAIN_GAIN = 1 / STARTUP_GAIN;
const CWND_GAIN = 2;
/** Most a standing queue may add to the window, in min RTTs (see `window`). */
const QUEUE_ALLOWANCE_RTTS = 2;
/** Share of a round's bytes declared lost above which the round counts as lossy (BBRv2's 2%). */
const LOSSY_ROUND_SHARE = 0.02;
/** Clean rounds after a lossy one before the standing-queue allowance applies again. */
const CLEAN_ROUNDS_FOR_ALLOWANCE = 4;
const PROBE_BW_GAINS = [1.25, 0.75, 1, 1, 1, 1, 1, 1];
const BTLBW_WINDOW_ROUNDS = 10;
const FULL_BW_GROWTH = 1.25;
const FULL_BW_ROUNDS = 3;
/** RTprop window: a min RTT older than this is replaced by the current sample (BBR's 10 s). */
const RTPROP_WINDOW_MS = 10_000;

/**
 * A BBR-style (v1) model-based congestion controller: the sender paces at a gain times the
 * bottleneck bandwidth it measures from ACKs, and bounds bytes in flight to twice the
 * bandwidth-delay product. Random, non-congestive loss does not shrink the window (the point of
 * choosing it under lossy paths), and the in-flight bound keeps the data channel's queue, the
 * real bottleneck queue, near one BDP. When the adapter reports that queue growing past its
 * target anyway (SCTP below drains slower than measured), pacing scales down until it drains.
 * ProbeRTT is left out (the queue stays short, so RTT samples stay close to the path's own);
 * instead the RTprop estimate expires after 10 s and takes the current sample, so a path whose
 * RTT grew (a route change) does not leave the window sized for the old one.
 */
export class BbrController {
  private mode: Mode = 'startup';
  private readonly btlBw: WindowedMaxFilter;
  private round = 0;
  private nextRoundDelivered = 0;
  private fullBw = 0;
  private fullBwRounds = 0;
  private cycleIndex = 0;
  private cycleStart = 0;
  private channelQueueBytes = 0;
  private rtProp = Number.POSITIVE_INFINITY;
  private rtPropStamp = 0;
  /** Bytes declared lost since the current round began (at `nextRoundDelivered` delivered). */
  private roundLostBytes = 0;
  /** Completed rounds since the last that lost more than LOSSY_ROUND_SHARE of its bytes. */
  private cleanRounds = Number.POSITIVE_INFINITY;

  constructor(private readonly options: BbrOptions) {
    this.btlBw = new WindowedMaxFilter(BTLBW_WINDOW_ROUNDS);
  }

  get state(): Mode {
    return this.mode;
  }

  /** Bottleneck bandwidth estimate, bytes/ms (0 before the first sample). */
  get bandwidth(): number {
    return this.btlBw.value;
  }

  /** Round-trip propagation estimate (ms), or the fallback before any sample. */
  minRtt(fallbackMs: number): number {
    return Number.isFinite(this.rtProp) ? this.rtProp : fallbackMs;
  }

  /**
   * Congestion window in bytes: twice the BDP at the min RTT, plus, when the smoothed RTT stands
   * above the min RTT, the bytes that standing queue holds at the measured rate (up to another
   * `QUEUE_ALLOWANCE_RTTS` min RTTs' worth). A queue kept full by a loss-based flow sharing the
   * bottleneck (cubic, SCTP) does not drain when we slow down, and a window of twice the
   * min-RTT BDP then caps us below the rate we measured, our delivery-rate samples sink with it,
   * and the other flow takes the link (bench:net, cap10-bulk at 40/s). Pacing still holds the
   * sending rate to the estimate, so the allowance only stops the window from binding.
   */
  window(minRttMs: number, srttMs = minRttMs): number {
    const { maxDatagramSize: mss, initialWindowPackets, minWindowPackets } = this.options;
    const bw = this.btlBw.value;
    if (bw === 0) return initialWindowPackets * mss;
    const gain = this.mode === 'startup' ? STARTUP_GAIN : CWND_GAIN;
    const rtt = Math.max(minRttMs, this.options.windowRttFloorMs);
    // Not in startup or drain, where the queue is our own by design, nor after a lossy round: a
    // queue that overflows as we fill it is most likely ours (a capacity drop), and covering it
    // only lets it overflow more.
    const standing =
      this.mode === 'probe-bw' && this.cleanRounds >= CLEAN_ROUNDS_FOR_ALLOWANCE && Number.isFinite(srttMs)
        ? Math.min(Math.max(0, srttMs - rtt), QUEUE_ALLOWANCE_RTTS * rtt)
        : 0;
    const floor = this.mode === 'startup' ? initialWindowPackets : minWindowPackets;
    return Math.max(gain * bw * rtt + bw * standing, floor * mss);
  }

  /** Pacing rate in bytes/ms. */
  pacingRate(srttMs: number): number {
    const { maxDatagramSize: mss, initialWindowPackets, maxPacingRate, minPacingRate } = this.options;
    const bw = this.btlBw.value > 0 ? this.btlBw.value : (initialWindowPackets * mss) / Math.max(srttMs, 1);
    let rate = this.gain() * bw;
    const target = this.queueTarget();
    if (this.channelQueueBytes > target) rate *= Math.max(0.25, target / this.channelQueueBytes);
    return Math.min(maxPacingRate, Math.max(minPacingRate, rate));
  }

  /**
   * Channel queue (bytes) above which pacing slows: `queueTargetPackets` datagrams, or one BDP,
   * its RTT floored at `windowRttFloorMs`, when that is more (at 10 MB/s and 0.8 ms: 100 KB):
   * the host lets the channel hold tens of ms of its drain, and a fixed few datagrams would slow
   * a fast sub-millisecond path at every ordinary wake-up.
   */
  private queueTarget(): number {
    const { maxDatagramSize: mss, queueTargetPackets, windowRttFloorMs } = this.options;
    return Math.max(queueTargetPackets * mss, this.btlBw.value * Math.max(Number.isFinite(this.rtProp) ? this.rtProp : 0, windowRttFloorMs));
  }

  /** Adapter report of bytes waiting in the data channel. */
  onChannelQueue(bytes: number): void {
    this.channelQueueBytes = Math.max(0, bytes);
  }

  /** An RTT sample (from an ACK or probe). */
  onRttSample(rttMs: number, now: number): void {
    if (!(rttMs >= 0)) return;
    if (rttMs <= this.rtProp || now - this.rtPropStamp > RTPROP_WINDOW_MS) {
      this.rtProp = rttMs;
      this.rtPropStamp = now;
    }
  }

  /** Bytes of sent packets declared lost. */
  onLoss(bytes: number): void {
    this.roundLostBytes += bytes;
  }

  onAck(sample: RateSample | undefined, delivered: number, bytesInFlight: number, now: number, minRttMs: number): void {
    let roundStart = false;
    if (sample && sample.priorDelivered >= this.nextRoundDelivered) {
      // The round that ends here began when `nextRoundDelivered` bytes had been delivered.
      const lost = this.roundLostBytes;
      this.cleanRounds = lost > LOSSY_ROUND_SHARE * (lost + delivered - this.nextRoundDelivered) ? 0 : this.cleanRounds + 1;
      this.roundLostBytes = 0;
      this.nextRoundDelivered = delivered;
      this.round++;
      roundStart = true;
    }
    // App-limited samples only count when they raise the estimate: they understate the path.
    if (sample && (!sample.appLimited || sample.rate >= this.btlBw.value)) this.btlBw.update(sample.rate, this.round);
    if (this.mode === 'startup' && roundStart && sample && !sample.appLimited) this.checkFullPipe();
    if (this.mode === 'drain' && bytesInFlight <= this.btlBw.value * minRttMs) this.enterProbeBw(now);
    if (this.mode === 'probe-bw') this.advanceCycle(now, bytesInFlight, minRttMs);
  }

  private checkFullPipe(): void {
    const bw = this.btlBw.value;
    if (bw >= this.fullBw * FULL_BW_GROWTH) {
      this.fullBw = bw;
      this.fullBwRounds = 0;
      return;
    }
    if (++this.fullBwRounds >= FULL_BW_ROUNDS) this.mode = 'drain';
  }

  private enterProbeBw(now: number): void {
    this.mode = 'probe-bw';
    // Start after the probing phases, as BBR does, so the first cycle does not probe at once.
    this.cycleIndex = 2;
    this.cycleStart = now;
  }

  private advanceCycle(now: number, bytesInFlight: number, minRttMs: number): void {
    const gain = PROBE_BW_GAINS[this.cycleIndex]!;
    const bdp = this.btlBw.value * minRttMs;
    // A phase lasts at least the window's round-trip floor: on a sub-millisecond path a phase of
    // one min RTT ends before the host's next wake-up, and the 1.25 probe would never show.
    const elapsed = now - this.cycleStart > Math.max(minRttMs, this.options.windowRttFloorMs);
    const done = gain > 1 ? elapsed && bytesInFlight >= gain * bdp : gain < 1 ? elapsed || bytesInFlight <= bdp : elapsed;
    if (done) {
      this.cycleIndex = (this.cycleIndex + 1) % PROBE_BW_GAINS.length;
      this.cycleStart = now;
    }
  }

  private gain(): number {
    switch (this.mode) {
      case 'startup':
        return STARTUP_GAIN;
      case 'drain':
        return DRAIN_GAIN;
      case 'probe-bw':
        return PROBE_BW_GAINS[this.cycleIndex]!;
    }
  }
}
