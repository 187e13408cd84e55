import type { CongestionSample } from '../congestion/congestion-report.js';
import { MAX_LANES } from '../recovery/sent-packet-tracker.js';
import { chooseLane, type DatagramChannel, type LaneBacklog, type LaneLoad } from './datachannel.js';

export interface StripedChannelOptions {
  /** Label of the striped channel (default: the first stripe's). */
  label?: string;
}

/**
 * One DatagramChannel over several (`PduChannel.open([pc1, pc2, ...])`, bench/net `--stripes N`):
 * each stripe is a data channel on its own peer connection, so each has its own SCTP association
 * and its own congestion window. Under random loss one association's loss-based window holds a
 * few packets, so a 16 KiB message leaves in several flights one RTT apart; over N associations
 * it can leave in one. The engine above sees a single channel, and its loss detection adapts to
 * the reordering between stripes (SentPacketTracker).
 *
 * - send: to the lane (stripe) the caller picked, else to the stripe with the most room in its
 *   transport window when every stripe can tell (`sendRoom`, werift), so a datagram leaves at
 *   once instead of waiting in one stripe's queue while later ones pass it on another; else to
 *   the stripe with the fewest queued bytes (chooseLane). Each stripe is a FIFO lane
 *   (`pickLane`), which the engine's loss detection uses.
 * - Incoming datagrams of all stripes are merged (arrival order across stripes is not kept).
 * - queuedBytes and highWaterBytes are sums; writable fires when the sum has drained to the
 *   low-water mark after having been above it.
 * - open while every stripe is open; whenOpen waits for all; close closes all; the striped
 *   channel reports close once any stripe closes (a lost stripe would lose its share of
 *   datagrams silently, so the session ends).
 * - sample: queue and transport window summed, RTT the mean of the stripes that report one.
 */
export class StripedChannel implements DatagramChannel {
  readonly label: string;
  private next = 0;
  private lowWater: number | undefined;
  private readonly writable = new Set<() => void>();
  private readonly closeHandlers = new Set<() => void>();
  private closedOnce = false;
  /** Every stripe tells its room (`sendRoom`). */
  private readonly roomKnown: boolean;
  /** Each stripe's load, refreshed in place for every datagram's lane choice. */
  private readonly loads: LaneLoad[];
  /** Bytes sent on each stripe. */
  private readonly sentBytes: number[];

  constructor(
    readonly stripes: readonly DatagramChannel[],
    options: StripedChannelOptions = {},
  ) {
    if (stripes.length === 0) throw new Error('StripedChannel: no stripes');
    if (stripes.length > MAX_LANES) throw new Error(`StripedChannel: ${stripes.length} stripes, at most ${MAX_LANES}`);
    this.label = options.label ?? stripes[0]!.label;
    this.roomKnown = stripes.every((s) => s.sendRoom !== undefined);
    this.loads = stripes.map(() => ({ open: false, queuedBytes: 0, sentBytes: 0 }));
    this.sentBytes = stripes.map(() => 0);
    for (const stripe of stripes) {
      stripe.onWritable(() => this.maybeWritable());
      stripe.onClose(() => {
        if (this.closedOnce) return;
        this.closedOnce = true;
        for (const handler of this.closeHandlers) handler();
      });
    }
  }

  get open(): boolean {
    return this.stripes.every((s) => s.open);
  }

  get copiesOnSend(): boolean {
    return this.stripes.every((s) => s.copiesOnSend === true);
  }

  async whenOpen(): Promise<void> {
    await Promise.all(this.stripes.map((s) => s.whenOpen()));
  }

  queuedBytes(): number {
    let sum = 0;
    for (const s of this.stripes) sum += s.queuedBytes();
    return sum;
  }

  get highWaterBytes(): number {
    let sum = 0;
    for (const s of this.stripes) sum += s.highWaterBytes;
    return sum;
  }

  setLowWater(bytes: number): void {
    this.lowWater = bytes;
    // Each stripe fires when its share has drained; the sum is checked in maybeWritable.
    const share = Math.floor(bytes / this.stripes.length);
    for (const s of this.stripes) s.setLowWater(share);
  }

  /** Each stripe's state, the input of chooseLane (a copy: the host posts it to the worker). */
  laneLoads(): LaneLoad[] {
    return this.refreshLoads().map((load) => ({ ...load }));
  }

  /** Each stripe is a lane: an SCTP association PDU's channels keep from retransmitting. */
  pickLane(): number {
    return chooseLane(this.refreshLoads(), this.next);
  }

  /** Runs for every datagram: it updates the loads in place rather than allocate. */
  private refreshLoads(): LaneLoad[] {
    for (let i = 0; i < this.stripes.length; i++) {
      const stripe = this.stripes[i]!;
      const load = this.loads[i]!;
      load.open = stripe.open;
      load.queuedBytes = stripe.queuedBytes();
      load.sentBytes = this.sentBytes[i]!;
      if (this.roomKnown) load.room = stripe.sendRoom!();
    }
    return this.loads;
  }

  send(datagram: Uint8Array, lane?: number): void {
    const i = lane !== undefined && Number.isInteger(lane) && lane >= 0 && lane < this.stripes.length ? lane : this.pickLane();
    this.next = (i + 1) % this.stripes.length;
    this.stripes[i]!.send(datagram);
    this.sentBytes[i]! += datagram.byteLength;
  }

  /** A stripe's backlog, where it tells its queue (each stripe is one lane). */
  laneBacklog(lane: number): LaneBacklog | undefined {
    const stripe = this.stripes[lane];
    if (stripe === undefined || stripe.laneBacklog === undefined) return undefined;
    const sent = this.sentBytes[lane]!;
    const backlog: LaneBacklog = { departedBytes: sent - stripe.queuedBytes(), knownBytes: sent };
    if (this.roomKnown) backlog.room = stripe.sendRoom!();
    return backlog;
  }

  onDatagram(handler: (datagram: Uint8Array) => void): void {
    for (const s of this.stripes) s.onDatagram(handler);
  }

  onWritable(handler: () => void): void {
    this.writable.add(handler);
  }

  private maybeWritable(): void {
    const low = this.lowWater ?? Math.floor(this.highWaterBytes / 2);
    if (this.queuedBytes() > low) return;
    for (const handler of this.writable) handler();
  }

  onClose(handler: () => void): void {
    this.closeHandlers.add(handler);
  }

  async sample(): Promise<CongestionSample> {
    const samples = await Promise.all(this.stripes.map((s) => s.sample()));
    const reported = (key: 'queueBytes' | 'rttMs' | 'transportCwndBytes' | 'availableBitrate' | 'timestamp') =>
      samples.map((s) => s[key]).filter((v): v is number => v !== undefined && Number.isFinite(v));
    const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);
    const out: CongestionSample = { queueBytes: sum(reported('queueBytes')) };
    const rtts = reported('rttMs');
    const windows = reported('transportCwndBytes');
    const bitrates = reported('availableBitrate');
    const times = reported('timestamp');
    if (rtts.length > 0) out.rttMs = sum(rtts) / rtts.length;
    if (windows.length > 0) out.transportCwndBytes = sum(windows);
    if (bitrates.length > 0) out.availableBitrate = sum(bitrates);
    if (times.length > 0) out.timestamp = Math.max(...times);
    return out;
  }

  close(): void {
    for (const s of this.stripes) s.close();
  }
}
