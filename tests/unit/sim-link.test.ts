import { describe, expect, it } from 'vitest';
import { capacitySchedule } from '../../src/transport/capacity.js';
import { Link, type LinkConfig } from '../../src/transport/link.js';
import { BernoulliLoss, TraceReplayLoss } from '../../src/transport/loss-models.js';
import { Rng } from '../../src/transport/rng.js';

/** A packet whose first 4 bytes carry its sequence number. */
function packet(seq: number, size = 100): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, seq);
  return bytes;
}
const seqOf = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);

interface Arrival {
  seq: number;
  at: number;
}

/** Offers `count` packets every `intervalMs` and collects every delivery, driving the link by its own schedule. */
function run(config: Partial<LinkConfig>, count: number, intervalMs: number, size = 100, seed = 1): { link: Link; arrivals: Arrival[] } {
  const link = new Link(new Rng(seed), config);
  const arrivals: Arrival[] = [];
  const collect = (until: number) => {
    for (let t = link.nextDeliveryTime(); t !== undefined && t <= until; t = link.nextDeliveryTime()) {
      for (let p = link.poll(t); p; p = link.poll(t)) arrivals.push({ seq: seqOf(p), at: t });
    }
  };
  for (let i = 0; i < count; i++) {
    collect(i * intervalMs);
    link.offer(packet(i, size), i * intervalMs);
  }
  collect(Infinity);
  return { link, arrivals };
}

describe('Link', () => {
  it('delivers a copy of each packet after the base delay', () => {
    const link = new Link(new Rng(1), { delayMs: 20 });
    const original = packet(7);
    expect(link.offer(original, 5)).toBe('queued');
    original[0] = 0xff;
    expect(link.nextDeliveryTime()).toBe(25);
    expect(link.poll(24.9)).toBeUndefined();
    const delivered = link.poll(25);
    expect(delivered && seqOf(delivered)).toBe(7);
    expect(link.nextDeliveryTime()).toBeUndefined();
  });

  it('keeps FIFO order under jitter unless reorder is asked for', () => {
    const fifo = run({ delayMs: 50, jitterMs: 20 }, 2000, 1).arrivals;
    expect(fifo.map((a) => a.seq)).toEqual(fifo.map((_, i) => i));
    const reordered = run({ delayMs: 50, jitterMs: 20, reorder: true }, 2000, 1).arrivals;
    expect(reordered).toHaveLength(2000);
    const overtakes = reordered.filter((a, i) => i > 0 && a.seq < (reordered[i - 1] as Arrival).seq).length;
    expect(overtakes).toBeGreaterThan(100);
    // Without the FIFO clamp, delays follow the normal jitter around the base delay.
    const delays = reordered.map((a) => a.at - a.seq);
    const mean = delays.reduce((s, d) => s + d, 0) / delays.length;
    const sd = Math.sqrt(delays.reduce((s, d) => s + (d - mean) ** 2, 0) / delays.length);
    expect(Math.abs(mean - 50)).toBeLessThan(1.5);
    expect(Math.abs(sd - 20)).toBeLessThan(1.5);
  });

  it('duplicates with the configured probability', () => {
    const { link, arrivals } = run({ duplicateProbability: 0.1 }, 20_000, 1);
    const dup = link.counters.duplicatedPackets;
    expect(Math.abs(dup - 2000)).toBeLessThan(170); // 4 sigma
    expect(arrivals).toHaveLength(20_000 + dup);
    expect(link.counters.deliveredPackets).toBe(20_000 + dup);
  });

  it('caps throughput at the rate and tail-drops beyond the queue limit', () => {
    // 1250 B = 10 kbit = 10 ms at 1 Mbit/s; offered every 5 ms = 2 Mbit/s for 10 s.
    const { link, arrivals } = run({ rateBitsPerSecond: 1e6, queueLimitBytes: 12_500, delayMs: 10 }, 2000, 5, 1250);
    const c = link.counters;
    expect(c.deliveredPackets + c.droppedPackets).toBe(2000);
    const last = arrivals[arrivals.length - 1] as Arrival;
    const throughputBps = (c.deliveredBytes * 8) / ((last.at - 10) / 1000);
    expect(throughputBps).toBeGreaterThan(0.99e6);
    expect(throughputBps).toBeLessThanOrEqual(1e6 + 1);
    expect(c.droppedPackets).toBeGreaterThan(950);
    expect(c.maxQueueBytes).toBeLessThanOrEqual(12_500);
    expect(c.maxQueueBytes).toBeGreaterThan(12_500 - 1250);
    // Queueing delay is bounded by queue / rate = 100 ms (+ base delay).
    const worst = Math.max(...arrivals.map((a) => a.at - a.seq * 5));
    expect(worst).toBeLessThanOrEqual(110 + 1e-9);
    expect(worst).toBeGreaterThan(100);
  });

  it('reports bottleneck occupancy and packets in flight', () => {
    const link = new Link(new Rng(1), { rateBitsPerSecond: 1e6, delayMs: 10 });
    for (let i = 0; i < 3; i++) link.offer(packet(i, 1250), 0); // 10 ms each
    expect(link.queuedBytes(0)).toBe(3750);
    expect(link.queuedBytes(10)).toBe(2500);
    expect(link.queuedBytes(30)).toBe(0);
    expect(link.packetsInFlight).toBe(3);
    expect(link.nextDeliveryTime()).toBe(20);
  });

  it('adds only serialization delay below the rate', () => {
    const { link, arrivals } = run({ rateBitsPerSecond: 1e6, delayMs: 10 }, 500, 20, 1250);
    expect(link.counters.droppedPackets).toBe(0);
    for (const a of arrivals) expect(a.at - a.seq * 20).toBeCloseTo(20, 9);
  });

  it('follows a capacity trace from the first packet and loops it', () => {
    // 4 Mbit/s for 500 ms, then 1 Mbit/s for 500 ms; saturate it from t = 10 s on.
    const capacity = capacitySchedule('steps', [0, 500], [4e6, 1e6], 1000);
    const link = new Link(new Rng(1), { capacity, queueLimitBytes: Infinity });
    const start = 10_000;
    for (let i = 0; i < 2000; i++) link.offer(packet(i, 1250), start); // 20 Mbit queued at once
    const bitsIn = (from: number, to: number) => {
      let bits = 0;
      for (let t = link.nextDeliveryTime(); t !== undefined && t <= start + to; t = link.nextDeliveryTime()) {
        for (let p = link.poll(t); p; p = link.poll(t)) if (t > start + from) bits += p.byteLength * 8;
      }
      return bits;
    };
    expect(bitsIn(0, 500)).toBeCloseTo(2e6, -4);
    expect(bitsIn(500, 1000)).toBeCloseTo(0.5e6, -4);
    expect(bitsIn(1000, 1500)).toBeCloseTo(2e6, -4);
  });

  it('takes the delay from a trace loss model and counts model losses apart from queue drops', () => {
    const trace = { name: 't', lost: Uint8Array.of(0, 1, 0), delayMs: Float64Array.of(40, 40, 70) };
    const { link, arrivals } = run({ loss: new TraceReplayLoss(trace), delayMs: 5 }, 6, 100);
    expect(arrivals.map((a) => [a.seq, a.at - a.seq * 100])).toEqual([
      [0, 40],
      [2, 70],
      [3, 40],
      [5, 70],
    ]);
    expect(link.counters.lostPackets).toBe(2);
    expect(link.counters.lostBytes).toBe(200);
    expect(link.counters.droppedPackets).toBe(0);
  });

  it('applies configure() to later packets', () => {
    const link = new Link(new Rng(1), { delayMs: 10 });
    link.offer(packet(0), 0);
    link.configure({ delayMs: 30, loss: new BernoulliLoss(1) });
    expect(link.offer(packet(1), 1)).toBe('lost');
    link.configure({ loss: new BernoulliLoss(0) });
    link.offer(packet(2), 2);
    expect([link.nextDeliveryTime(), link.poll(10) && link.nextDeliveryTime()]).toEqual([10, 32]);
    expect(() => link.configure({ delayMs: -1 })).toThrow(RangeError);
  });

  it('is reproducible per seed', () => {
    // A fresh loss model per run: models carry state.
    const once = (seed: number) => run({ delayMs: 30, jitterMs: 10, reorder: true, loss: new BernoulliLoss(0.1), duplicateProbability: 0.05 }, 3000, 1, 100, seed).arrivals;
    expect(once(9)).toEqual(once(9));
    expect(once(9)).not.toEqual(once(10));
  });
});
