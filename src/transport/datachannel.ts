import type { CongestionSample } from '../congestion/congestion-report.js';

/**
 * One data channel as PDU uses it: a path for datagrams (one datagram = one channel message) with
 * a queue below it that PDU must keep short, since that queue is the bottleneck queue
 * (ENVIRONMENT.md, "Plain data channels under loss"). Adapters exist for W3C RTCDataChannels
 * (browsers, and any channel with the same surface) and for werift (src/node).
 */
export interface DatagramChannel {
  readonly label: string;
  /** True while datagrams can be sent. */
  readonly open: boolean;
  /** Resolves when the channel is open (at once if it already is); rejects if it closes first. */
  whenOpen(): Promise<void>;
  /** Bytes queued in the stack below PDU: handed over, not yet sent on the wire. */
  queuedBytes(): number;
  /** Queue bound PDU keeps under: above it, hold datagrams back until `onWritable` fires. */
  readonly highWaterBytes: number;
  /** Where `onWritable` fires: once the queue has drained to `bytes` or below. */
  setLowWater(bytes: number): void;
  /**
   * Sends one datagram, on `lane` when given (a lane from `pickLane`; a channel without lanes
   * ignores it).
   */
  send(datagram: Uint8Array, lane?: number): void;
  /**
   * The FIFO lane the next datagram should take, or undefined when the channel promises no order.
   * A lane is a path on which datagrams arrive in the order sent or not at all (one SCTP
   * association that does not retransmit); the engine's loss detection leans on it
   * (`pollTransmit(now, lane)`). The W3C and werift adapters are one lane each (PDU opens their
   * channel without retransmissions), StripedChannel one per stripe; the simulator's channels and
   * an impairment in force promise none.
   */
  pickLane?(): number | undefined;
  /** Each lane's state, for a relay that picks lanes on another thread (RelayedChannel). */
  laneLoads?(): LaneLoad[] | undefined;
  /**
   * How much of what `lane` was given has left the stack below: of the bytes sent on it since the
   * channel opened, the first `departedBytes` are on the wire (the rest wait in its queue, as
   * behind an SCTP window), as far as the first `knownBytes` tell (a relay's report does not yet
   * cover what was posted after it); and, where the stack can tell, its `room` (`sendRoom`).
   * Undefined where the stack cannot tell.
   */
  laneBacklog?(lane: number): LaneBacklog | undefined;
  /**
   * True when `send` copies the datagram before it returns (a W3C RTCDataChannel does), so the
   * sender may reuse its memory at once; absent or false when the stack keeps a reference.
   */
  readonly copiesOnSend?: boolean;
  /**
   * Bytes the stack would put on the wire at once: its transport window less what it holds
   * (werift: SCTP cwnd less flight and queue). Absent where the stack cannot tell (browsers).
   */
  sendRoom?(): number;
  onDatagram(handler: (datagram: Uint8Array) => void): void;
  /** Fires when the queue has drained to the low-water mark after having been above it. */
  onWritable(handler: () => void): void;
  onClose(handler: () => void): void;
  /** A congestion sample from what this stack exposes (getStats RTT, queue, SCTP state). */
  sample(): Promise<CongestionSample>;
  close(): void;
}

/** DatagramChannel.laneBacklog. */
export interface LaneBacklog {
  departedBytes: number;
  knownBytes: number;
  /** Bytes the lane's stack would put on the wire at once, where it can tell. */
  room?: number;
}

/** What a lane's choice rests on (chooseLane). */
export interface LaneLoad {
  open: boolean;
  /** Bytes queued in the lane's stack. */
  queuedBytes: number;
  /** Bytes sent on the lane since it opened, the queued ones last (a relay reports backlogs from it). */
  sentBytes?: number;
  /** Bytes the lane's stack would put on the wire at once (`sendRoom`), where it can tell. */
  room?: number;
}

/**
 * The lane a datagram goes to: the most room where every lane tells its room, else the fewest
 * queued bytes, among open lanes; ties go to the first from `start` on (round-robin when the
 * caller moves `start` past each choice), so an idle set of lanes shares a burst evenly.
 */
export function chooseLane(loads: readonly LaneLoad[], start: number): number {
  const n = loads.length;
  const roomKnown = loads.every((l) => l.room !== undefined);
  let best = -1;
  let bestScore = -Infinity;
  for (let k = 0; k < n; k++) {
    const i = (start + k) % n;
    const load = loads[i]!;
    if (!load.open) continue;
    const score = roomKnown ? load.room! : -load.queuedBytes;
    if (score > bestScore) {
      best = i;
      bestScore = score;
    }
  }
  return best < 0 ? start % n : best;
}

/** The W3C RTCDataChannel surface the adapter needs (also satisfied by a channel transferred to a worker). */
export interface W3cDataChannelLike {
  readonly label: string;
  readonly readyState: string;
  binaryType: string;
  bufferedAmount: number;
  bufferedAmountLowThreshold: number;
  send(data: ArrayBufferView<ArrayBuffer>): void;
  close(): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'bufferedamountlow' | 'close' | 'open', listener: () => void): void;
}

/** getStats() of the peer connection the channel belongs to, when the caller can reach it. */
export type StatsSource = () => Promise<Iterable<[string, Record<string, unknown>]> | { values(): Iterable<Record<string, unknown>> }>;

export interface W3cAdapterOptions {
  /** Queue bound in bytes (default 256 KiB: about one BDP at 40 Mbit/s and 50 ms). */
  highWaterBytes?: number;
  /** The peer connection's getStats, for RTT and available bitrate. */
  getStats?: StatsSource;
}

/** Chromium's data channel: backpressure from `bufferedAmount` and `bufferedamountlow`. */
export function adaptW3cDataChannel(channel: W3cDataChannelLike, options: W3cAdapterOptions = {}): DatagramChannel {
  const highWaterBytes = options.highWaterBytes ?? 256 * 1024;
  channel.binaryType = 'arraybuffer';
  channel.bufferedAmountLowThreshold = Math.floor(highWaterBytes / 2);
  const inbound = new EarlyArrivals();
  channel.addEventListener('message', (event) => {
    if (event.data instanceof ArrayBuffer) inbound.push(new Uint8Array(event.data));
  });
  let sentBytes = 0;
  return {
    label: channel.label,
    get open() {
      return channel.readyState === 'open';
    },
    highWaterBytes,
    setLowWater(bytes) {
      channel.bufferedAmountLowThreshold = bytes;
    },
    whenOpen: () => whenW3cChannelOpen(channel, 'data channel'),
    queuedBytes: () => channel.bufferedAmount,
    // One SCTP association without retransmissions (the channel is opened so): one FIFO lane.
    pickLane: () => 0,
    laneLoads() {
      return [{ open: this.open, queuedBytes: channel.bufferedAmount, sentBytes }];
    },
    // bufferedAmount counts what the SCTP association has not sent yet, its window's wait included.
    laneBacklog: (lane) => (lane === 0 ? { departedBytes: sentBytes - channel.bufferedAmount, knownBytes: sentBytes } : undefined),
    // RTCDataChannel.send takes a copy of the bytes before it returns.
    copiesOnSend: true,
    send(datagram) {
      channel.send(datagram as Uint8Array<ArrayBuffer>);
      sentBytes += datagram.byteLength;
    },
    onDatagram: (handler) => inbound.attach(handler),
    onWritable(handler) {
      channel.addEventListener('bufferedamountlow', handler);
      // Datagrams produced before the channel opened are waiting for this.
      channel.addEventListener('open', handler);
    },
    onClose: (handler) => channel.addEventListener('close', handler),
    async sample() {
      const sample: CongestionSample = { queueBytes: channel.bufferedAmount };
      if (options.getStats) Object.assign(sample, rttFromStats(await options.getStats()));
      return sample;
    },
    close: () => channel.close(),
  };
}

/** Resolves once a W3C data channel is open; rejects if it closes first. */
export function whenW3cChannelOpen(
  channel: { readonly readyState: string; addEventListener(type: 'open' | 'close', listener: () => void): void },
  name: string,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (channel.readyState === 'open') return resolve();
    if (channel.readyState === 'closed') return reject(new Error(`${name} closed`));
    channel.addEventListener('open', () => resolve());
    channel.addEventListener('close', () => reject(new Error(`${name} closed before it opened`)));
  });
}

/**
 * RTT and available bitrate from a getStats report: the nominated (or succeeded) candidate pair.
 * Chromium reports no SCTP stats on data-only connections, and RTT only from ICE checks.
 */
export function rttFromStats(report: Awaited<ReturnType<StatsSource>>): Pick<CongestionSample, 'rttMs' | 'availableBitrate'> {
  const values = 'values' in report && typeof report.values === 'function' ? [...report.values()] : [...(report as Iterable<[string, Record<string, unknown>]>)].map(([, v]) => v);
  const pair =
    values.find((s) => s.type === 'candidate-pair' && s.nominated === true && s.state === 'succeeded') ??
    values.find((s) => s.type === 'candidate-pair' && s.state === 'succeeded');
  const out: Pick<CongestionSample, 'rttMs' | 'availableBitrate'> = {};
  if (pair && typeof pair.currentRoundTripTime === 'number') out.rttMs = pair.currentRoundTripTime * 1000;
  if (pair && typeof pair.availableOutgoingBitrate === 'number') out.availableBitrate = pair.availableOutgoingBitrate;
  return out;
}

/**
 * Holds what arrives before anyone listens (datagrams, or a control channel's texts): a channel
 * opens (and the peer starts its handshake) before this side's engine exists, and a data channel
 * drops events nobody listens to. At most LIMIT are held; later ones are dropped.
 */
export class EarlyArrivals<T = Uint8Array> {
  private handler: ((item: T) => void) | undefined;
  private held: T[] = [];
  static readonly LIMIT = 256;

  push(item: T): void {
    if (this.handler) this.handler(item);
    else if (this.held.length < EarlyArrivals.LIMIT) this.held.push(item);
  }

  attach(handler: (item: T) => void): void {
    this.handler = handler;
    for (const item of this.held.splice(0)) handler(item);
  }
}
