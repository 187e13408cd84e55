import type { CongestionSample } from '../congestion/congestion-report.js';
import type { EngineStats } from '../engine/index.js';
import type { LaneHold } from '../engine/lane-log.js';
import { isLane } from '../recovery/sent-packet-tracker.js';
import type { DatagramChannel } from '../transport/datachannel.js';
import { BUNDLE_ENTRY_OVERHEAD, BUNDLE_HEADER_BYTES, MAX_BUNDLED_DATAGRAM, encodeBundle, isBundle, splitBundle } from './datagram-bundle.js';
import { LaneBacklogWatch } from './lane-backlog.js';
import { ChannelQueueLimit } from './queue-limit.js';
import { WakeTimer } from './wake-timer.js';

/** The sans-IO engine surface the driver needs (PduEngine implements it). */
export interface SansIoEngine<Event, SendOptions, Stats> {
  connect(now: number): void;
  send(data: Uint8Array, opts: SendOptions | undefined, now: number): string;
  handleDatagram(bytes: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  /**
   * The next datagram to send; `now` is when it leaves (its send time for loss detection and
   * RTT), `lane` the channel's FIFO lane it will take (DatagramChannel.pickLane).
   */
  pollTransmit(now: number, lane?: number): Uint8Array | undefined;
  /** A sent datagram nothing reads any more: its memory may hold a later one. */
  recycleDatagram(datagram: Uint8Array): void;
  /** The stack below still holds these datagrams, per lane (LaneBacklogWatch). */
  /** Returns whether looking again soon can still change anything. */
  reportLaneBacklog?(held: readonly LaneHold[], now: number): boolean;
  pollEvent(): Event | undefined;
  nextTimeout(): number | undefined;
  reportCongestionSample(sample: CongestionSample): void;
  stats(): Stats;
  /** The per-fragment trace as JSON Lines. */
  exportTrace(): string;
  /** Starts a graceful close: pending messages settle, the peer is told. */
  close(now: number, reason?: string): void;
}

export interface EngineDriverOptions<Event> {
  /** Monotonic milliseconds (CONTRACTS.md): performance.now() unless a test supplies another. */
  clock?: () => number;
  /** How often the channel's congestion sample (getStats, queue) is fed to the engine, ms. */
  sampleIntervalMs?: number;
  /** Queueing delay PDU allows in the data channel's own queue, ms of its drain rate (default 30). */
  channelQueueDelayMs?: number;
  /**
   * The channel queue limit never goes below this, bytes (default 4 KiB: a few datagrams, enough
   * for the stack to fill the next opening of its window before PDU wakes again).
   */
  channelQueueFloorBytes?: number;
  /**
   * Largest bundle of datagrams sent as one channel message, bytes (datagram-bundle.ts; default
   * 0: every datagram on its own). Bundles go only to a peer that has sent one, and only while
   * `lossRate` stays below `bundleLossCeiling`.
   */
  bundleBytes?: number;
  /** The engine's smoothed loss rate on the send path (0..1); read once per sample interval. */
  lossRate?: () => number;
  /** Loss rate at or above which datagrams go one per message again (default 0.002). */
  bundleLossCeiling?: number;
  onEvent(event: Event): void;
}

/**
 * How often to look at a lane's backlog while its stack holds datagrams, ms: a held datagram's
 * loss timers start at most this late after it leaves.
 */
const BACKLOG_CHECK_MS = 3;

/** Datagrams a session sends before its loss rate may open the way to bundles. */
const BUNDLE_EVIDENCE_DATAGRAMS = 300;

/**
 * The bundle gate's loss reading for a PduEngine: its smoothed send-path loss rate, or 1 (no
 * bundles) until it has sent a few hundred datagrams, so a fresh session on a lossy path shows
 * its loss on single datagrams before any bundle could be lost whole.
 */
export function bundleLossSignal(engine: { stats(): EngineStats }): () => number {
  return () => {
    const stats = engine.stats();
    return stats.traffic.datagramsSent < BUNDLE_EVIDENCE_DATAGRAMS ? 1 : stats.congestion.report.packetLoss;
  };
}

/**
 * One-datagram bundles (copies of datagrams sent anyway) that tell a peer we read bundles: before
 * anything has come from the peer, every datagram up to the first number (its driver may not be
 * running yet, as when one side still loads its core); after that, the next few, since a probe
 * can be lost like any datagram. A real bundle of ours ends the probing: it says the same.
 */
const PROBES_BEFORE_CONTACT = 8;
const PROBES_AFTER_CONTACT = 4;
/**
 * Largest bundle: the SCTP message size every peer accepts, including one whose SDP states no
 * `a=max-message-size` (RFC 8841: 64 KiB then).
 */
export const MAX_BUNDLE_BYTES = 64 * 1024;

/**
 * Gives a sans-IO engine real time and a real channel: it owns the one timer, moves datagrams
 * between engine and channel, holds datagrams back while the channel's queue is above its
 * high-water mark, and feeds congestion samples on a schedule. The same driver runs inline on the
 * main thread and inside a worker.
 */
export class EngineDriver<Event, SendOptions, Stats> {
  /** The engine's own deadline (nextTimeout); timerAt is when it is armed for. */
  private readonly timer: WakeTimer;
  private timerAt = Number.POSITIVE_INFINITY;
  private sampler: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private readonly clock: () => number;
  private readonly queueLimit: ChannelQueueLimit;
  /** A look at the channel queue, armed while the engine has datagrams the queue had no room for. */
  private readonly drainCheck: WakeTimer;
  /**
   * The pump after received datagrams runs as its own task, behind datagrams already queued: a
   * receiver that fell behind handles them all, then answers once (one ACK, one bundle) instead
   * of once per message.
   */
  private readonly inputPump: WakeTimer;
  private lowWater = -1;
  /** The peer has sent a bundle, so it reads them. */
  private peerBundles = false;
  /** Something has come from the peer, so its driver is running and reads what we send. */
  private heardPeer = false;
  /** We have sent a bundle of several datagrams, so the peer knows we read them. */
  private announced = false;
  private probesBeforeContact = PROBES_BEFORE_CONTACT;
  private probesAfterContact = PROBES_AFTER_CONTACT;
  /** The last loss reading allowed bundling. */
  private lossAllowsBundles = false;
  private readonly bundleBytes: number;
  /** Datagrams gathered for the next bundle and their bundle size. */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The lane the gathered bundle leaves on. */
  private pendingLane: number | undefined;
  /** The largest datagram the engine has produced: what a bundle must have room for. */
  private largestDatagram = 0;
  /** What the channel's lanes still hold, where both the channel and the engine can tell. */
  private readonly backlog: LaneBacklogWatch | undefined;
  private readonly backlogCheck: WakeTimer;

  constructor(
    readonly engine: SansIoEngine<Event, SendOptions, Stats>,
    private readonly channel: DatagramChannel,
    private readonly options: EngineDriverOptions<Event>,
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.timer = new WakeTimer(() => {
      this.timerAt = Number.POSITIVE_INFINITY;
      if (this.stopped) return;
      this.engine.handleTimeout(this.clock());
      this.pump();
    });
    this.drainCheck = new WakeTimer(() => this.pump());
    this.inputPump = new WakeTimer(() => this.pump());
    this.backlogCheck = new WakeTimer(() => this.pump());
    if (channel.laneBacklog !== undefined && engine.reportLaneBacklog !== undefined) this.backlog = new LaneBacklogWatch();
    this.queueLimit = new ChannelQueueLimit(options.channelQueueDelayMs ?? 30, options.channelQueueFloorBytes ?? 4 * 1024);
    this.bundleBytes = Math.min(options.bundleBytes ?? 0, MAX_BUNDLE_BYTES);
    channel.onDatagram((datagram) => {
      if (this.stopped) return;
      this.heardPeer = true;
      const now = this.clock();
      if (!isBundle(datagram)) this.engine.handleDatagram(datagram, now);
      else if (splitBundle(datagram, (d) => this.engine.handleDatagram(d, now)) > 0) this.peerBundles = true;
      this.inputPump.soon();
    });
    channel.onWritable(() => this.pump());
    // Nothing can be sent or received any more: the engine settles what is pending and says so.
    channel.onClose(() => this.act((engine, now) => engine.close(now, 'data channel closed')));
  }

  start(): void {
    this.engine.connect(this.clock());
    const interval = this.options.sampleIntervalMs ?? 250;
    this.sampler = setInterval(() => {
      if (this.bundleBytes > 0 && this.options.lossRate) this.lossAllowsBundles = this.options.lossRate() < (this.options.bundleLossCeiling ?? 0.002);
      this.channel.sample().then(
        (sample) => {
          if (this.stopped) return;
          this.engine.reportCongestionSample({ ...sample, timestamp: this.clock() });
          this.pump();
        },
        () => undefined, // a failed getStats() is a missing sample, nothing more
      );
    }, interval);
    this.pump();
  }

  send(data: Uint8Array, opts?: SendOptions): string {
    const id = this.engine.send(data, opts, this.clock());
    this.pump();
    return id;
  }

  /** Runs `fn` against the engine with the current time, then lets the engine's output flow. */
  act<T>(fn: (engine: SansIoEngine<Event, SendOptions, Stats>, now: number) => T): T {
    const result = fn(this.engine, this.clock());
    this.pump();
    return result;
  }

  stop(): void {
    this.stopped = true;
    this.timer.dispose();
    this.drainCheck.dispose();
    this.inputPump.dispose();
    this.backlogCheck.dispose();
    if (this.sampler !== undefined) clearInterval(this.sampler);
    this.sampler = undefined;
  }

  /** Moves everything the engine has to say: datagrams while the channel has room, then events, then re-arms the timer. */
  private pump(): void {
    if (this.stopped) return;
    this.inputPump.cancel();
    const channel = this.channel;
    // Datagrams are only taken from the engine while the channel's queue is under its limit; the
    // rest stay in the engine, which paces them, can still expire or cancel them, and pushes back
    // on the application from its own bounded queue.
    const now = this.clock();
    const limit = this.queueLimit.limit(now, channel.queuedBytes(), channel.highWaterBytes);
    // Ask to hear when half the limit has drained, so the stack never runs dry waiting for PDU.
    const lowWater = Math.floor(limit / 2);
    if (lowWater !== this.lowWater) {
      this.lowWater = lowWater;
      channel.setLowWater(lowWater);
    }
    // Before polling: the copies of held datagrams the report may queue leave in this pump.
    this.reportBacklog(now);
    let full = false;
    let sentOnLane = false;
    const bundling = this.peerBundles && this.lossAllowsBundles && this.bundleBytes > 0;
    // readyState cannot change while this task runs: one look per pump.
    if (channel.open) {
      for (;;) {
        if (channel.queuedBytes() + this.pendingBytes >= limit) {
          full = true;
          break;
        }
        // A bundle leaves on one lane, and what joins it is sealed for that lane. A bundle the
        // largest datagram so far could not join goes now, so that the next datagram's lane is
        // picked afresh (on a striped channel, consecutive bundles spread over the stripes).
        if (this.pending.length > 0 && this.pendingBytes + BUNDLE_ENTRY_OVERHEAD + this.largestDatagram > this.bundleBytes) this.flushBundle();
        const lane = this.pending.length > 0 ? this.pendingLane : this.pickLane();
        const datagram = this.engine.pollTransmit(now, lane);
        if (!datagram) break;
        if (lane !== undefined) sentOnLane = true;
        if (datagram.length > this.largestDatagram) this.largestDatagram = datagram.length;
        if (bundling && datagram.length <= MAX_BUNDLED_DATAGRAM) this.addToBundle(datagram, lane);
        else {
          // Behind what is already gathered (on the same lane), never ahead of it.
          this.flushBundle();
          this.transmit(datagram, lane);
        }
      }
      this.flushBundle();
    }
    // The channel announces draining only below its own low-water mark, which may sit above this
    // limit: look again once about half the limit has drained.
    if (full && !this.drainCheck.armed) this.drainCheck.arm(Math.max(1, this.queueLimit.drainTime(limit / 2)));
    // What was just sent may be held: look in a moment.
    if (sentOnLane && this.backlog !== undefined && !this.backlogCheck.armed) this.backlogCheck.arm(BACKLOG_CHECK_MS);
    for (let event = this.engine.pollEvent(); event !== undefined; event = this.engine.pollEvent()) {
      this.options.onEvent(event);
      if (this.stopped) return;
    }
    this.arm();
  }

  /** The channel's lane for the next datagram; none if it names one the engine cannot take. */
  private pickLane(): number | undefined {
    const lane = this.channel.pickLane?.();
    return lane !== undefined && isLane(lane) ? lane : undefined;
  }

  private addToBundle(datagram: Uint8Array, lane: number | undefined): void {
    const entry = BUNDLE_ENTRY_OVERHEAD + datagram.length;
    if (this.pending.length > 0 && this.pendingBytes + entry > this.bundleBytes) this.flushBundle();
    if (this.pending.length === 0) {
      this.pendingBytes = BUNDLE_HEADER_BYTES;
      this.pendingLane = lane;
    }
    this.pending.push(datagram);
    this.pendingBytes += entry;
  }

  /** Sends what was gathered: a lone datagram as itself, two or more as one bundle. */
  private flushBundle(): void {
    const pending = this.pending;
    if (pending.length === 0) return;
    this.pending = [];
    this.pendingBytes = 0;
    if (pending.length === 1) this.transmit(pending[0]!, this.pendingLane);
    else {
      this.put(encodeBundle(pending), this.pendingLane, pending.length);
      this.announced = true;
      // The bundle holds copies.
      for (const datagram of pending) this.engine.recycleDatagram(datagram);
    }
  }

  private transmit(datagram: Uint8Array, lane: number | undefined): void {
    this.put(datagram, lane, 1);
    this.probeBundles(datagram, lane);
    if (this.channel.copiesOnSend) this.engine.recycleDatagram(datagram);
  }

  /**
   * Probes: a peer that reads them sees a duplicate (dropped by its replay or handshake checks)
   * and learns that we read bundles; an older peer drops them as malformed. Knowing that the
   * peer reads bundles is no reason to stop: it may not know that we do.
   */
  private probeBundles(datagram: Uint8Array, lane: number | undefined): void {
    if (this.bundleBytes === 0 || this.announced || datagram.length > MAX_BUNDLED_DATAGRAM) return;
    const left = this.heardPeer ? this.probesAfterContact-- : this.probesBeforeContact--;
    if (left > 0) this.put(encodeBundle([datagram]), lane, 0);
  }

  /**
   * Tells the engine what the lanes still hold, and looks again soon while they hold anything
   * the engine can still make use of hearing about.
   */
  private reportBacklog(now: number): void {
    const backlog = this.backlog;
    if (backlog === undefined) return;
    const held: LaneHold[] = [];
    const holding = backlog.check(this.channel, held);
    const useful = held.length > 0 && this.engine.reportLaneBacklog!(held, now);
    if (holding && useful && !this.backlogCheck.armed) this.backlogCheck.arm(BACKLOG_CHECK_MS);
  }

  /** Sends `bytes`, which carry `datagrams` of the engine's (a bundle several, a probe copy none). */
  private put(bytes: Uint8Array, lane: number | undefined, datagrams: number): void {
    this.channel.send(bytes, lane);
    if (lane !== undefined) this.backlog?.onSent(lane, bytes.byteLength, datagrams);
    this.queueLimit.onSent(bytes.byteLength);
  }

  private arm(): void {
    const at = this.engine.nextTimeout();
    if (at === undefined) {
      this.timer.cancel();
      this.timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.timer.armed && at >= this.timerAt) return;
    this.timerAt = at;
    this.timer.arm(at - this.clock());
  }
}
