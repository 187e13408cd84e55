import type { GapFeatures, GapVerdict, LossPredictor } from '../predict/loss-predictor.js';
import type { ArrivalStats } from './arrival-stats.js';

/** Path state shared by every hole when the predictor is consulted. */
export interface PathContext {
  srttMs: number;
  rttVarMs: number;
  minRttMs: number;
  severity: number;
}

export interface NackSchedulerLimits {
  /** Holes tracked at once; beyond it the oldest are given up (a hostile peer skipping numbers). */
  maxHoles: number;
  /** Longest run of missing packets one arrival may open; a larger jump only tracks its last ones. */
  maxRunTracked: number;
  /** Packets requested at most by one tail request. */
  maxTailRequest: number;
  /** A hole is forgotten after this many RTTs (the sender's own detection has long covered it). */
  holeLifetimeRtts: number;
}

export interface NackDecision {
  packetNumber: number;
  features: GapFeatures;
  verdict: GapVerdict;
}

interface Hole {
  packetNumber: number;
  detectedAt: number;
  arrivalsAtDetection: number;
  runLength: number;
  requests: number;
  lastRequestAt: number;
  requestAt: number | undefined;
  lossProbability: number;
}

interface TailGap {
  after: number;
  count: number;
  requests: number;
  lastRequestAt: number;
  requestAt: number | undefined;
}

/**
 * Receiver-side holes in the packet-number sequence and when to NACK each one. The loss
 * predictor is consulted for every hole as it appears and again as evidence arrives; the
 * scheduler sends the request at the time the predictor chose. Tail holes (a message is still
 * incomplete and nothing more arrives) are modelled as the packets right after the largest
 * received one.
 */
export class NackScheduler {
  private readonly holes = new Map<number, Hole>();
  private arrivals = 0;
  private largest = -1;
  private tail: TailGap | undefined;

  private static readonly evidenceHorizon = 8;

  constructor(
    private readonly predictor: LossPredictor,
    private readonly stats: ArrivalStats,
    private readonly limits: NackSchedulerLimits,
  ) {}

  get openHoles(): number {
    return this.holes.size;
  }

  /** Holes not requested yet: their content is still expected under their own numbers. */
  get unrequestedHoles(): number {
    let n = 0;
    for (const hole of this.holes.values()) if (hole.requests === 0) n++;
    return n;
  }

  /** Records an arrival; opens holes for skipped numbers and closes the one it fills. */
  onPacket(packetNumber: number, now: number, ctx: PathContext): void {
    this.arrivals++;
    const tail = this.tail;
    // The tail's own packets (not later-numbered resends) ended the silence: a pause, not a loss.
    if (tail && packetNumber > tail.after && packetNumber <= tail.after + tail.count && this.stats.lastArrivalTime !== undefined) {
      this.stats.onTailResumed(now - this.stats.lastArrivalTime);
    }
    this.stats.onArrival(now);
    if (packetNumber > this.largest) {
      const skipped = this.largest < 0 ? 0 : packetNumber - this.largest - 1;
      this.stats.onSequence(skipped);
      const firstTracked = Math.max(this.largest + 1, packetNumber - this.limits.maxRunTracked);
      if (this.largest >= 0) {
        for (let n = firstTracked; n < packetNumber; n++) this.openHole(n, skipped, now);
      }
      this.largest = packetNumber;
      this.tail = undefined;
    } else {
      const hole = this.holes.get(packetNumber);
      if (hole) {
        this.holes.delete(packetNumber);
        this.stats.onHoleResolved(now - hole.detectedAt);
      }
    }
    this.reassess(now, ctx);
  }

  /**
   * The receiver still misses `count` fragments that no open hole explains: the packets that
   * would carry them come after the largest received. Called after every change in reassembly.
   */
  setTailDemand(count: number, now: number, ctx: PathContext): void {
    if (count <= 0 || this.largest < 0) {
      this.tail = undefined;
      return;
    }
    const n = Math.min(count, this.limits.maxTailRequest);
    if (this.tail && this.tail.after === this.largest) {
      this.tail.count = n;
      return;
    }
    this.tail = { after: this.largest, count: n, requests: 0, lastRequestAt: now, requestAt: undefined };
    this.assessTail(now, ctx);
  }

  /**
   * A message whose fragments arrived with packet numbers from `first` to `last` is complete: the
   * holes between them carried its fragments, whose content has now come under other numbers.
   * Asking for them again would only bring duplicates.
   */
  closeWithin(first: number, last: number): void {
    for (const hole of this.holes.values()) {
      if (hole.packetNumber > first && hole.packetNumber < last) {
        this.holes.delete(hole.packetNumber);
        this.stats.onHoleResolved(undefined);
      }
    }
  }

  /** Requests due at `now`, marked as sent. The caller turns them into NACK ranges. */
  takeDue(now: number, ctx: PathContext): NackDecision[] {
    const due: NackDecision[] = [];
    const lifetime = this.limits.holeLifetimeRtts * Math.max(ctx.srttMs, 1);
    for (const hole of this.holes.values()) {
      if (now - hole.detectedAt > lifetime) {
        this.holes.delete(hole.packetNumber);
        this.stats.onHoleResolved(undefined);
        continue;
      }
      if (hole.requestAt === undefined || hole.requestAt > now) continue;
      const features = this.features(hole, now, ctx);
      due.push({ packetNumber: hole.packetNumber, features, verdict: { lossProbability: hole.lossProbability, requestAt: hole.requestAt } });
      hole.requests++;
      hole.lastRequestAt = now;
      this.assessHole(hole, now, ctx);
    }
    const tail = this.tail;
    if (tail && tail.requestAt !== undefined && tail.requestAt <= now) {
      const features = this.tailFeatures(tail, now, ctx);
      const verdict = { lossProbability: 1, requestAt: tail.requestAt };
      for (let i = 1; i <= tail.count; i++) due.push({ packetNumber: tail.after + i, features, verdict });
      tail.requests++;
      tail.lastRequestAt = now;
      this.assessTail(now, ctx);
    }
    return due;
  }

  nextTime(): number | undefined {
    let t = this.tail?.requestAt;
    for (const hole of this.holes.values()) {
      if (hole.requestAt !== undefined && (t === undefined || hole.requestAt < t)) t = hole.requestAt;
    }
    return t;
  }

  /** Earliest time an open hole expires, so the caller wakes to forget it. */
  nextExpiry(srttMs: number): number | undefined {
    const first = this.holes.values().next();
    return first.done ? undefined : first.value.detectedAt + this.limits.holeLifetimeRtts * Math.max(srttMs, 1) + 1;
  }

  private openHole(packetNumber: number, runLength: number, now: number): void {
    if (this.holes.size >= this.limits.maxHoles) {
      const oldest = this.holes.keys().next();
      if (!oldest.done) this.holes.delete(oldest.value);
    }
    this.holes.set(packetNumber, {
      packetNumber,
      detectedAt: now,
      // The arrival that revealed the hole is its first successor.
      arrivalsAtDetection: this.arrivals - 1,
      runLength,
      requests: 0,
      lastRequestAt: 0,
      requestAt: undefined,
      lossProbability: 0,
    });
  }

  private reassess(now: number, ctx: PathContext): void {
    // Past a few successors more arrivals add no evidence; skipping them keeps this O(recent holes).
    for (const hole of this.holes.values()) {
      if (hole.requests === 0 && this.arrivals - hole.arrivalsAtDetection <= NackScheduler.evidenceHorizon) {
        this.assessHole(hole, now, ctx);
      }
    }
  }

  private assessHole(hole: Hole, now: number, ctx: PathContext): void {
    const verdict = this.predictor.assess(this.features(hole, now, ctx), now);
    hole.requestAt = verdict.requestAt === undefined ? undefined : Math.max(verdict.requestAt, now);
    hole.lossProbability = verdict.lossProbability;
  }

  private assessTail(now: number, ctx: PathContext): void {
    const tail = this.tail;
    if (!tail) return;
    const verdict = this.predictor.assess(this.tailFeatures(tail, now, ctx), now);
    tail.requestAt = verdict.requestAt === undefined ? undefined : Math.max(verdict.requestAt, now);
  }

  private features(hole: Hole, now: number, ctx: PathContext): GapFeatures {
    const requested = hole.requests > 0 ? now - hole.lastRequestAt : 0;
    return this.gapFeatures(now, ctx, now - hole.detectedAt, this.arrivals - hole.arrivalsAtDetection, hole.runLength, false, hole.requests, requested);
  }

  private tailFeatures(tail: TailGap, now: number, ctx: PathContext): GapFeatures {
    const requested = tail.requests > 0 ? now - tail.lastRequestAt : 0;
    return this.gapFeatures(now, ctx, now - (this.stats.lastArrivalTime ?? now), 0, tail.count, true, tail.requests, requested);
  }

  /** One literal, no spread: this runs for every arriving packet (the tail is re-assessed each time). */
  private gapFeatures(
    now: number,
    ctx: PathContext,
    gapAgeMs: number,
    successors: number,
    runLength: number,
    tail: boolean,
    requestsSoFar: number,
    sinceLastRequestMs: number,
  ): GapFeatures {
    const stats = this.stats;
    return {
      sinceLastArrivalMs: now - (stats.lastArrivalTime ?? now),
      interArrivalMs: stats.interArrivalMs,
      interArrivalJitterMs: stats.interArrivalJitterMs,
      srttMs: ctx.srttMs,
      rttVarMs: ctx.rttVarMs,
      minRttMs: ctx.minRttMs,
      recentLossRate: stats.lossRate,
      reorderRate: stats.reorderRate,
      reorderDelayMs: stats.reorderDelayMs,
      tailPauseMs: stats.tailPauseMs,
      severity: ctx.severity,
      gapAgeMs,
      successors,
      runLength,
      tail,
      requestsSoFar,
      sinceLastRequestMs,
    };
  }
}
