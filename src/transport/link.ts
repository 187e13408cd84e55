/**
 * One direction of an impaired link, driven by the caller's time (virtual in the simulator,
 * wall-clock in the network router). Pipeline per offered packet:
 *   loss model -> duplication -> bottleneck queue (rate cap or capacity trace, byte-limited,
 *   tail drop) -> propagation delay (+ jitter, FIFO unless reorder) -> delivery.
 */
import { CapacityTimeline, constantCapacity, type CapacitySchedule } from './capacity.js';
import { NoLoss, type LossModel } from './loss-models.js';
import { TimeHeap } from './min-heap.js';
import type { Rng } from './rng.js';

export interface LinkConfig {
  loss: LossModel;
  /** One-way propagation delay in ms (replaced by the loss model's delay when it gives one). */
  delayMs: number;
  /** Standard deviation in ms of a normal jitter added to the delay (the total never goes below 0). */
  jitterMs: number;
  /** Let a packet with less jitter overtake an earlier one; otherwise delivery stays FIFO. */
  reorder: boolean;
  /** Probability that a delivered packet also arrives a second time. */
  duplicateProbability: number;
  /** Bottleneck rate in bits/s; undefined means no bottleneck. Ignored while `capacity` is set. */
  rateBitsPerSecond: number | undefined;
  /** Time-varying bottleneck rate (capacity replay), looping; its time 0 is the first packet after it is set. */
  capacity: CapacitySchedule | undefined;
  /** Bytes the bottleneck queue holds (including the packet being serialized) before tail drop. */
  queueLimitBytes: number;
}

export const DEFAULT_LINK_CONFIG: Readonly<LinkConfig> = {
  loss: new NoLoss(),
  delayMs: 0,
  jitterMs: 0,
  reorder: false,
  duplicateProbability: 0,
  rateBitsPerSecond: undefined,
  capacity: undefined,
  queueLimitBytes: 256 * 1024,
};

export type OfferOutcome = 'queued' | 'lost' | 'dropped';

export interface LinkCounters {
  offeredPackets: number;
  offeredBytes: number;
  deliveredPackets: number;
  deliveredBytes: number;
  /** Lost by the loss model. */
  lostPackets: number;
  lostBytes: number;
  /** Tail-dropped by the bottleneck queue (duplicates included). */
  droppedPackets: number;
  droppedBytes: number;
  duplicatedPackets: number;
  maxQueueBytes: number;
}

interface Serializing {
  finishMs: number;
  bytes: number;
}

export class Link {
  private cfg: LinkConfig;
  private timeline: CapacityTimeline | undefined;
  private capacityOriginMs: number | undefined;
  /** Packets still in the bottleneck (being or waiting to be serialized), oldest first. */
  private readonly bottleneck: Serializing[] = [];
  private bottleneckHead = 0;
  private bottleneckBytes = 0;
  private lastFinishMs = -Infinity;
  private lastArrivalMs = -Infinity;
  private readonly inFlight = new TimeHeap<Uint8Array>();
  private readonly count: LinkCounters = {
    offeredPackets: 0,
    offeredBytes: 0,
    deliveredPackets: 0,
    deliveredBytes: 0,
    lostPackets: 0,
    lostBytes: 0,
    droppedPackets: 0,
    droppedBytes: 0,
    duplicatedPackets: 0,
    maxQueueBytes: 0,
  };

  constructor(
    private readonly rng: Rng,
    config: Partial<LinkConfig> = {},
  ) {
    this.cfg = { ...DEFAULT_LINK_CONFIG };
    this.configure(config);
  }

  get config(): Readonly<LinkConfig> {
    return this.cfg;
  }

  get counters(): Readonly<LinkCounters> {
    return this.count;
  }

  /**
   * Changes impairment from now on. Packets already queued keep the departure time computed
   * when they entered the bottleneck; a new capacity trace starts at the next packet.
   */
  configure(partial: Partial<LinkConfig>): void {
    const next = { ...this.cfg, ...partial };
    for (const key of ['delayMs', 'jitterMs', 'queueLimitBytes'] as const) {
      if (!(next[key] >= 0)) throw new RangeError(`link ${key} must be >= 0, got ${next[key]}`);
    }
    if (!(next.duplicateProbability >= 0 && next.duplicateProbability <= 1)) {
      throw new RangeError(`link duplicateProbability must be in [0, 1], got ${next.duplicateProbability}`);
    }
    if ('capacity' in partial || 'rateBitsPerSecond' in partial) {
      const schedule = next.capacity ?? (next.rateBitsPerSecond === undefined ? undefined : constantCapacity(next.rateBitsPerSecond));
      this.timeline = schedule && new CapacityTimeline(schedule);
      this.capacityOriginMs = undefined;
    }
    this.cfg = next;
  }

  /** Hands a packet to the link at time `now`. The bytes are copied. */
  offer(bytes: Uint8Array, now: number): OfferOutcome {
    const size = bytes.byteLength;
    this.count.offeredPackets++;
    this.count.offeredBytes += size;
    const fate = this.cfg.loss.next(this.rng);
    if (fate.lost) {
      this.count.lostPackets++;
      this.count.lostBytes += size;
      return 'lost';
    }
    const copies = this.cfg.duplicateProbability > 0 && this.rng.chance(this.cfg.duplicateProbability) ? 2 : 1;
    if (copies === 2) this.count.duplicatedPackets++;
    let outcome: OfferOutcome = 'dropped';
    for (let c = 0; c < copies; c++) {
      const departMs = this.enterBottleneck(size, now);
      if (departMs === undefined) {
        this.count.droppedPackets++;
        this.count.droppedBytes += size;
        continue;
      }
      outcome = 'queued';
      this.schedule(bytes.slice(), departMs + this.propagationMs(fate.delayMs));
    }
    return outcome;
  }

  /** The next packet that has arrived by `now`, if any. */
  poll(now: number): Uint8Array | undefined {
    const packet = this.inFlight.popDue(now);
    if (packet) {
      this.count.deliveredPackets++;
      this.count.deliveredBytes += packet.byteLength;
    }
    return packet;
  }

  /** When the earliest packet still on its way arrives, or undefined if the link is empty. */
  nextDeliveryTime(): number | undefined {
    return this.inFlight.peekTime();
  }

  /** Packets that entered the link and have not been delivered yet. */
  get packetsInFlight(): number {
    return this.inFlight.size;
  }

  /** Bytes in the bottleneck queue at `now` (the one being serialized included). */
  queuedBytes(now: number): number {
    this.drainBottleneck(now);
    return this.bottleneckBytes;
  }

  /** Departure time from the bottleneck, or undefined when the queue tail-drops the packet. */
  private enterBottleneck(size: number, now: number): number | undefined {
    const timeline = this.timeline;
    if (!timeline) return now;
    this.drainBottleneck(now);
    if (this.bottleneckBytes + size > this.cfg.queueLimitBytes) return undefined;
    this.capacityOriginMs ??= now;
    const origin = this.capacityOriginMs;
    const startMs = Math.max(now, this.lastFinishMs);
    const finishMs = origin + timeline.finishTime(startMs - origin, size * 8);
    this.lastFinishMs = finishMs;
    this.bottleneck.push({ finishMs, bytes: size });
    this.bottleneckBytes += size;
    this.count.maxQueueBytes = Math.max(this.count.maxQueueBytes, this.bottleneckBytes);
    return finishMs;
  }

  private drainBottleneck(now: number): void {
    while (this.bottleneckHead < this.bottleneck.length) {
      const head = this.bottleneck[this.bottleneckHead] as Serializing;
      if (head.finishMs > now) break;
      this.bottleneckBytes -= head.bytes;
      this.bottleneckHead++;
    }
    // Compact now and then so a long run does not keep every departed entry.
    if (this.bottleneckHead > 1024 && this.bottleneckHead * 2 > this.bottleneck.length) {
      this.bottleneck.splice(0, this.bottleneckHead);
      this.bottleneckHead = 0;
    }
  }

  private propagationMs(traceDelayMs: number | undefined): number {
    const base = traceDelayMs ?? this.cfg.delayMs;
    if (this.cfg.jitterMs === 0) return base;
    return Math.max(0, base + this.rng.normal(0, this.cfg.jitterMs));
  }

  private schedule(packet: Uint8Array, arrivalMs: number): void {
    const at = this.cfg.reorder ? arrivalMs : Math.max(arrivalMs, this.lastArrivalMs);
    this.lastArrivalMs = Math.max(this.lastArrivalMs, at);
    this.inFlight.push(at, packet);
  }
}
