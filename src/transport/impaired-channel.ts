/**
 * Link impairment between the engine and a real data channel, on the sending side: outgoing
 * datagrams cross a `Link` (loss, delay, jitter, rate cap) on the wall clock before they reach the
 * channel. A testing and demo tool: it lets a visitor watch PDU react to loss on a path that has
 * none. Off by default, and then `send` goes straight to the channel.
 */
import type { CongestionSample } from '../congestion/congestion-report.js';
import type { DatagramChannel, LaneBacklog, LaneLoad } from './datachannel.js';
import { Link, type LinkConfig } from './link.js';
import { parseLossSpec } from './loss-models.js';
import { Rng } from './rng.js';

/** Plain data (it crosses postMessage to the worker); every field absent means "none". */
export interface ImpairmentConfig {
  /** parseLossSpec grammar without traces: `none`, `bern:0.05`, `ge:40/2`, `ge:wifi_lossy`. */
  loss?: string;
  /** One-way delay added to each datagram, ms. */
  delayMs?: number;
  /** Standard deviation of a normal jitter on the delay, ms (delivery stays FIFO). */
  jitterMs?: number;
  /** Bottleneck rate, bits/s; its queue counts as the channel's queue, so PDU sees it fill. */
  rateBitsPerSecond?: number;
  /** Bytes the bottleneck holds before it tail-drops (default: the link's 256 KiB). */
  queueLimitBytes?: number;
  /** Seed of the loss and jitter draws (default: random). */
  seed?: number;
}

/**
 * The loss spec for a loss fraction and a mean burst length in datagrams: independent losses for
 * bursts of 1, otherwise Gilbert-Elliott with that mean bad run and the good run that gives the
 * same long-run loss (loss = bad / (good + bad)).
 */
export function lossSpecFor(loss: number, burstLength = 1): string {
  if (!(loss > 0)) return 'none';
  if (!(burstLength > 1)) return `bern:${loss}`;
  const good = Math.max(1, (burstLength * (1 - loss)) / loss);
  return `ge:${good}/${burstLength}`;
}

export class ImpairedChannel implements DatagramChannel {
  private link: Link | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  /** The last send found the queue at its high-water mark: tell the driver when it drains. */
  private blocked = false;
  private readonly writableHandlers: Array<() => void> = [];
  /**
   * Per lane, bytes the link handed to the inner channel: the driver did not send them there
   * itself, so they are left out of the lane's counts (laneBacklog, laneLoads) once the
   * impairment is off, as it numbers only its own sends.
   */
  private readonly linkBytes: number[] = [];

  constructor(
    private readonly inner: DatagramChannel,
    private readonly clock: () => number = () => performance.now(),
  ) {
    inner.onWritable(() => this.fireWritable());
    inner.onClose(() => this.stopTimer());
  }

  get label(): string {
    return this.inner.label;
  }
  get open(): boolean {
    return this.inner.open;
  }
  get highWaterBytes(): number {
    return this.inner.highWaterBytes;
  }
  /** Only while no impairment is on: the link holds what it delays. */
  get copiesOnSend(): boolean {
    return this.link === undefined && this.inner.copiesOnSend === true;
  }

  /** The impairment in force, or undefined when off. */
  get impairment(): Readonly<LinkConfig> | undefined {
    return this.link?.config;
  }

  /** What the link did so far (undefined when off). */
  get counters(): Link['counters'] | undefined {
    return this.link?.counters;
  }

  /**
   * Sets the whole impairment from now on (fields left out mean none), or turns it off with null:
   * datagrams still held are then sent at once. Datagrams already in the link keep their schedule.
   * A bad loss spec throws and changes nothing.
   */
  impair(config: ImpairmentConfig | null): void {
    if (config === null) {
      this.deliverDue(Infinity);
      this.stopTimer();
      this.link = undefined;
      this.wakeIfDrained();
      return;
    }
    const linkConfig: Partial<LinkConfig> = {
      loss: parseLossSpec(config.loss ?? 'none'),
      delayMs: config.delayMs ?? 0,
      jitterMs: config.jitterMs ?? 0,
      rateBitsPerSecond: config.rateBitsPerSecond || undefined,
      ...(config.queueLimitBytes !== undefined ? { queueLimitBytes: config.queueLimitBytes } : {}),
    };
    if (this.link) this.link.configure(linkConfig);
    else this.link = new Link(new Rng(config.seed ?? Math.random() * 2 ** 32), linkConfig);
  }

  whenOpen(): Promise<void> {
    return this.inner.whenOpen();
  }

  setLowWater(bytes: number): void {
    this.inner.setLowWater(bytes);
  }

  /** The channel's queue plus the rate cap's: both hold bytes PDU has sent and the peer cannot have yet. */
  queuedBytes(): number {
    return this.inner.queuedBytes() + (this.link?.queuedBytes(this.clock()) ?? 0);
  }

  /** The inner channel's lanes while no impairment is on; the link does not carry lanes. */
  pickLane(): number | undefined {
    return this.link ? undefined : this.inner.pickLane?.();
  }

  laneLoads(): LaneLoad[] | undefined {
    if (this.link) return undefined;
    const loads = this.inner.laneLoads?.();
    return loads?.map((load, lane) => (load.sentBytes !== undefined && this.linkBytes[lane] ? { ...load, sentBytes: load.sentBytes - this.linkBytes[lane]! } : load));
  }

  laneBacklog(lane: number): LaneBacklog | undefined {
    if (this.link) return undefined;
    const backlog = this.inner.laneBacklog?.(lane);
    const linked = this.linkBytes[lane];
    if (backlog === undefined || !linked) return backlog;
    return { ...backlog, departedBytes: backlog.departedBytes - linked, knownBytes: backlog.knownBytes - linked };
  }

  send(datagram: Uint8Array, lane?: number): void {
    const link = this.link;
    if (!link) {
      this.inner.send(datagram, lane);
      return;
    }
    const now = this.clock();
    link.offer(datagram, now);
    // Without delay or a rate cap the datagram is due at once: no timer, no added latency.
    this.deliverDue(now);
    // The driver stops sending at the high-water mark and waits for onWritable.
    this.blocked = this.queuedBytes() >= this.highWaterBytes;
  }

  onDatagram(handler: (datagram: Uint8Array) => void): void {
    this.inner.onDatagram(handler);
  }
  onWritable(handler: () => void): void {
    this.writableHandlers.push(handler);
  }
  onClose(handler: () => void): void {
    this.inner.onClose(handler);
  }

  async sample(): Promise<CongestionSample> {
    const sample = await this.inner.sample();
    const held = this.link?.queuedBytes(this.clock()) ?? 0;
    return held > 0 ? { ...sample, queueBytes: (sample.queueBytes ?? 0) + held } : sample;
  }

  close(): void {
    this.stopTimer();
    this.inner.close();
  }

  /** Hands every datagram due by `now` to the channel, then waits for the next one. */
  private deliverDue(now: number): void {
    const link = this.link;
    if (!link) return;
    for (let d = link.poll(now); d !== undefined; d = link.poll(now)) {
      if (!this.inner.open) continue;
      const lane = this.inner.pickLane?.();
      if (lane !== undefined) this.linkBytes[lane] = (this.linkBytes[lane] ?? 0) + d.byteLength;
      this.inner.send(d, lane);
    }
    this.arm(link.nextDeliveryTime());
  }

  /** Wakes a driver that stopped at the high-water mark, once there is room (never from inside `send`). */
  private wakeIfDrained(): void {
    if (this.blocked && this.queuedBytes() < this.highWaterBytes) this.fireWritable();
  }

  private arm(at: number | undefined): void {
    if (at === undefined || at === Infinity) return;
    if (this.timer !== undefined && at >= this.timerAt) return;
    this.stopTimer();
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      this.deliverDue(this.clock());
      this.wakeIfDrained();
    }, Math.max(0, at - this.clock()));
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private fireWritable(): void {
    this.blocked = false;
    for (const handler of this.writableHandlers) handler();
  }
}
