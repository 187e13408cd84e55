import type { CongestionSample } from '../congestion/congestion-report.js';
import type { DatagramChannel } from '../transport/datachannel.js';
import { ChannelQueueLimit } from './queue-limit.js';

/** The sans-IO engine surface the driver needs (PduEngine implements it). */
export interface SansIoEngine<Event, SendOptions, Stats> {
  connect(now: number): void;
  send(data: Uint8Array, opts: SendOptions | undefined, now: number): string;
  handleDatagram(bytes: Uint8Array, now: number): void;
  handleTimeout(now: number): void;
  /** The next datagram to send; `now` is when it leaves (its send time for loss detection and RTT). */
  pollTransmit(now: number): Uint8Array | undefined;
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
  onEvent(event: Event): void;
}

/**
 * Gives a sans-IO engine real time and a real channel: it owns the one timer, moves datagrams
 * between engine and channel, holds datagrams back while the channel's queue is above its
 * high-water mark, and feeds congestion samples on a schedule. The same driver runs inline on the
 * main thread and inside a worker.
 */
export class EngineDriver<Event, SendOptions, Stats> {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Number.POSITIVE_INFINITY;
  private sampler: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  private readonly clock: () => number;
  private readonly queueLimit: ChannelQueueLimit;
  /** A look at the channel queue is scheduled: the engine has datagrams the queue had no room for. */
  private drainCheck: ReturnType<typeof setTimeout> | undefined;
  private lowWater = -1;

  constructor(
    readonly engine: SansIoEngine<Event, SendOptions, Stats>,
    private readonly channel: DatagramChannel,
    private readonly options: EngineDriverOptions<Event>,
  ) {
    this.clock = options.clock ?? (() => performance.now());
    this.queueLimit = new ChannelQueueLimit(options.channelQueueDelayMs ?? 30, options.channelQueueFloorBytes ?? 4 * 1024);
    channel.onDatagram((datagram) => {
      if (this.stopped) return;
      this.engine.handleDatagram(datagram, this.clock());
      this.pump();
    });
    channel.onWritable(() => this.pump());
    // Nothing can be sent or received any more: the engine settles what is pending and says so.
    channel.onClose(() => this.act((engine, now) => engine.close(now, 'data channel closed')));
  }

  start(): void {
    this.engine.connect(this.clock());
    const interval = this.options.sampleIntervalMs ?? 250;
    this.sampler = setInterval(() => {
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
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.sampler !== undefined) clearInterval(this.sampler);
    if (this.drainCheck !== undefined) clearTimeout(this.drainCheck);
    this.timer = this.sampler = this.drainCheck = undefined;
  }

  /** Moves everything the engine has to say: datagrams while the channel has room, then events, then re-arms the timer. */
  private pump(): void {
    if (this.stopped) return;
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
    let full = false;
    while (channel.open) {
      const queued = channel.queuedBytes();
      if (queued >= limit) {
        full = true;
        break;
      }
      const datagram = this.engine.pollTransmit(now);
      if (!datagram) break;
      channel.send(datagram);
      this.queueLimit.onSent(datagram.byteLength);
    }
    // The channel announces draining only below its own low-water mark, which may sit above this
    // limit: look again once about half the limit has drained.
    if (full && this.drainCheck === undefined) {
      const wait = Math.max(1, this.queueLimit.drainTime(limit / 2));
      this.drainCheck = setTimeout(() => {
        this.drainCheck = undefined;
        this.pump();
      }, wait);
    }
    for (let event = this.engine.pollEvent(); event !== undefined; event = this.engine.pollEvent()) {
      this.options.onEvent(event);
      if (this.stopped) return;
    }
    this.arm();
  }

  private arm(): void {
    const at = this.engine.nextTimeout();
    if (at === undefined) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.timer !== undefined && at >= this.timerAt) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Number.POSITIVE_INFINITY;
      if (this.stopped) return;
      this.engine.handleTimeout(this.clock());
      this.pump();
    }, Math.max(0, at - this.clock()));
  }
}
