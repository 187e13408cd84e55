import { describe, expect, it } from 'vitest';
import { HeuristicPredictor } from '../../src/predict/heuristic-predictor.js';
import { ArrivalStats } from '../../src/recovery/arrival-stats.js';
import { NackScheduler, type PathContext } from '../../src/recovery/nack-scheduler.js';

const ctx: PathContext = { srttMs: 50, rttVarMs: 2, minRttMs: 50, severity: 0 };
const limits = { maxHoles: 64, maxRunTracked: 64, maxTailRequest: 16, holeLifetimeRtts: 8 };

function scheduler() {
  const stats = new ArrivalStats();
  const nacks = new NackScheduler(new HeuristicPredictor({ packetThreshold: 3, maxRequests: 3, granularityMs: 1 }), stats, limits);
  return { stats, nacks };
}

/** A flight of packet numbers arriving 1 ms apart from `at`. */
function flight(nacks: NackScheduler, first: number, count: number, at: number): number {
  for (let i = 0; i < count; i++) nacks.onPacket(first + i, at + i, ctx);
  return at + count - 1;
}

describe('NackScheduler', () => {
  it('learns the pause between the flights of a window-limited sender and waits it out', () => {
    const { stats, nacks } = scheduler();
    // A 10-packet message in two flights one RTT apart: the tail's own packets end the silence.
    let t = flight(nacks, 0, 5, 0);
    nacks.setTailDemand(5, t, ctx);
    t = flight(nacks, 5, 5, t + 45);
    expect(stats.tailPauseMs).toBeCloseTo(45);
    nacks.setTailDemand(0, t, ctx);
    // The next message: after its first flight the tail request waits beyond the learned pause.
    t = flight(nacks, 10, 5, t + 150);
    nacks.setTailDemand(5, t, ctx);
    expect(nacks.nextTime()).toBeCloseTo(t + 1.25 * 45);
    expect(nacks.takeDue(t + 30, ctx)).toEqual([]);
    expect(nacks.takeDue(t + 57, ctx).map((d) => d.packetNumber)).toEqual([15, 16, 17, 18, 19]);
  });

  it('does not take a resend that ends a silence for a pause', () => {
    const { stats, nacks } = scheduler();
    const t = flight(nacks, 0, 5, 0);
    nacks.setTailDemand(2, t, ctx);
    // Packets 5 and 6 were lost; their content comes back under new numbers 7 and 8.
    flight(nacks, 7, 2, t + 120);
    expect(stats.tailPauseMs).toBe(0);
  });

  it('closes the holes of a completed message so they are not asked for again', () => {
    const { nacks } = scheduler();
    flight(nacks, 0, 3, 0);
    flight(nacks, 4, 3, 10); // 3 is missing
    flight(nacks, 9, 1, 20); // 7 and 8 too
    expect(nacks.openHoles).toBe(3);
    expect(nacks.takeDue(21, ctx).map((d) => d.packetNumber)).toEqual([3, 7, 8]);
    // Packets 0-6 carried one message; its last fragment arrives resent as packet 10.
    nacks.onPacket(10, 60, ctx);
    nacks.closeWithin(0, 10);
    expect(nacks.openHoles).toBe(0);
    expect(nacks.takeDue(500, ctx)).toEqual([]);
  });

  it('forgets a long pause slowly and jumps to a longer one at once', () => {
    const stats = new ArrivalStats();
    stats.onTailResumed(40);
    stats.onTailResumed(8);
    expect(stats.tailPauseMs).toBeCloseTo(40 - 32 / 8);
    stats.onTailResumed(60);
    expect(stats.tailPauseMs).toBe(60);
  });
});
