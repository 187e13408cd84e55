import { describe, expect, it } from 'vitest';
import { BbrController } from '../../src/congestion/bbr-controller.js';
import { CongestionEstimator } from '../../src/congestion/congestion-estimator.js';
import { DeliveryRateSampler } from '../../src/congestion/delivery-rate.js';
import { Pacer } from '../../src/congestion/pacer.js';

const options = { maxDatagramSize: 1000, initialWindowPackets: 10, minWindowPackets: 4, windowRttFloorMs: 1, maxPacingRate: 1e6, minPacingRate: 1, queueTargetPackets: 10 };

describe('DeliveryRateSampler', () => {
  it('measures delivered bytes over the longer of send and ACK intervals', () => {
    const s = new DeliveryRateSampler();
    const snaps = [0, 10, 20, 30].map((t, i) => s.snapshot(t, 1000, i * 1000));
    const sample = s.onAck(snaps, 80, 50)!;
    // 4000 bytes over max(send 30, ack 80) ms.
    expect(sample.rate).toBeCloseTo(4000 / 80);
    expect(sample.appLimited).toBe(false);
  });

  it('marks samples app-limited while the sender had nothing to send', () => {
    const s = new DeliveryRateSampler();
    s.markAppLimited(0);
    const snap = s.snapshot(0, 1000, 0);
    expect(s.onAck([snap], 50, 40)!.appLimited).toBe(true);
  });
});

describe('BbrController', () => {
  it('starts from the initial window and paces it over one RTT at the startup gain', () => {
    const c = new BbrController(options);
    expect(c.window(50)).toBe(10_000);
    expect(c.pacingRate(50)).toBeCloseTo((2.885 * 10_000) / 50);
  });

  it('does not shrink on loss: random loss leaves the model alone', () => {
    const c = new BbrController(options);
    for (let round = 0; round < 20; round++) c.onAck({ rate: 100, appLimited: false, priorDelivered: round * 1e5 }, (round + 1) * 1e5, 1000, round * 50, 50);
    expect(c.bandwidth).toBe(100);
    expect(c.state).not.toBe('startup');
    // Window is about two BDPs: 2 * 100 B/ms * 50 ms.
    expect(c.window(50)).toBeCloseTo(10_000, -2);
  });

  it("covers a standing queue it did not build, up to two more min RTTs, without pacing faster", () => {
    const c = new BbrController(options);
    for (let round = 0; round < 20; round++) c.onAck({ rate: 100, appLimited: false, priorDelivered: round * 1e5 }, (round + 1) * 1e5, 1000, round * 50, 50);
    const pacing = c.pacingRate(140);
    // A loss-based flow holds the bottleneck queue at 90 ms: 2 * 100 * 50 + 100 * 90 bytes.
    expect(c.window(50, 140)).toBeCloseTo(19_000, -2);
    // No queue, no allowance; and the allowance stops at two min RTTs (100 ms) of queue.
    expect(c.window(50, 50)).toBeCloseTo(10_000, -2);
    expect(c.window(50, 1000)).toBeCloseTo(20_000, -2);
    expect(c.window(50, Number.NaN)).toBeCloseTo(10_000, -2);
    expect(c.pacingRate(140)).toBe(pacing);
    // In startup the queue is our own by design: no allowance.
    const fresh = new BbrController(options);
    fresh.onAck({ rate: 100, appLimited: false, priorDelivered: 0 }, 1e5, 1000, 0, 50);
    expect(fresh.state).toBe('startup');
    expect(fresh.window(50, 140)).toBeCloseTo(fresh.window(50, 50));
  });

  it('drops the standing-queue allowance after a round that lost over 2%, until rounds are clean again', () => {
    const c = new BbrController(options);
    let delivered = 0;
    const round = (r: number, lostBytes: number) => {
      if (lostBytes > 0) c.onLoss(lostBytes);
      delivered += 1e5;
      c.onAck({ rate: 100, appLimited: false, priorDelivered: delivered - 1e5 }, delivered, 1000, r * 50, 50);
    };
    for (let r = 0; r < 20; r++) round(r, 0);
    expect(c.window(50, 140)).toBeCloseTo(19_000, -2);
    // 1% lost: still clean.
    round(20, 1000);
    round(21, 0);
    expect(c.window(50, 140)).toBeCloseTo(19_000, -2);
    // 3% lost: a queue that overflows as it fills is taken for our own.
    round(22, 3000);
    round(23, 0);
    expect(c.window(50, 140)).toBeCloseTo(10_000, -2);
    for (let r = 24; r < 44; r++) round(r, 0);
    expect(c.window(50, 140)).toBeCloseTo(19_000, -2);
  });

  it('slows pacing while the channel queue is above its target', () => {
    const c = new BbrController(options);
    const free = c.pacingRate(50);
    c.onChannelQueue(40_000);
    expect(c.pacingRate(50)).toBeCloseTo(free / 4);
    c.onChannelQueue(0);
    expect(c.pacingRate(50)).toBeCloseTo(free);
  });

  it('on a sub-millisecond path, lets the channel hold one BDP at the window floor before slowing', () => {
    const c = new BbrController({ ...options, windowRttFloorMs: 10 });
    for (let round = 0; round < 20; round++) c.onAck({ rate: 10_000, appLimited: false, priorDelivered: round * 1e6 }, (round + 1) * 1e6, 1000, round, 0.8);
    c.onRttSample(0.8, 20);
    const free = c.pacingRate(1);
    // 10,000 B/ms x 10 ms = 100 kB: a queue of 50 kB (50 datagrams, above queueTargetPackets) is no reason to slow.
    c.onChannelQueue(50_000);
    expect(c.pacingRate(1)).toBe(free);
    c.onChannelQueue(200_000);
    expect(c.pacingRate(1)).toBeCloseTo(free / 2);
  });

  it('holds each probe-bw phase for at least the window floor, so the 1.25 probe is sent at all', () => {
    const c = new BbrController({ ...options, windowRttFloorMs: 10 });
    const ack = (round: number, now: number, inFlight: number) =>
      c.onAck({ rate: 10_000, appLimited: false, priorDelivered: round * 1e6 }, (round + 1) * 1e6, inFlight, now, 0.8);
    let t = 0;
    for (let round = 0; round < 20; round++) ack(round, (t += 1), 0);
    expect(c.state).toBe('probe-bw');
    const rates = new Set<number>();
    // 1 ms ACKs for 100 ms: with phases of one min RTT (0.8 ms) every phase would end at the next ACK.
    for (let i = 0; i < 100; i++) {
      ack(20 + i, (t += 1), 1e9);
      rates.add(Math.round((c.pacingRate(1) / 10_000) * 100) / 100);
    }
    expect([...rates].sort()).toEqual([0.75, 1, 1.25]);
    let probeRun = 0;
    let longest = 0;
    for (let i = 0; i < 100; i++) {
      ack(120 + i, (t += 1), 1e9);
      probeRun = c.pacingRate(1) > 10_000 ? probeRun + 1 : 0;
      longest = Math.max(longest, probeRun);
    }
    expect(longest).toBeGreaterThanOrEqual(10);
  });

  it('forgets an old min RTT after its window', () => {
    const c = new BbrController(options);
    c.onRttSample(20, 0);
    c.onRttSample(50, 5000);
    expect(c.minRtt(99)).toBe(20);
    c.onRttSample(50, 10_001);
    expect(c.minRtt(99)).toBe(50);
  });
});

describe('Pacer', () => {
  it('lets a burst go, then spaces packets at the rate', () => {
    const p = new Pacer(3000, 5);
    for (let i = 0; i < 3; i++) {
      expect(p.sendTime(1000, 10, 0)).toBe(0);
      p.onSent(1000, 10, 0);
    }
    expect(p.sendTime(1000, 10, 0)).toBeCloseTo(100);
    expect(p.sendTime(1000, 10, 100)).toBe(100);
  });

  it('grows the burst to what the rate sends in one timer slack, so coarse timers do not cap the rate', () => {
    const p = new Pacer(3000, 5);
    p.onSent(3000, 10_000, 0); // bucket empty; at 10,000 B/ms one 4 ms tick refills 40,000 B
    let sent = 0;
    while (p.sendTime(1000, 10_000, 4) === 4) {
      p.onSent(1000, 10_000, 4);
      sent += 1000;
    }
    expect(sent).toBe(40_000);
  });
});

describe('CongestionEstimator', () => {
  const scales = { lossAtFull: 0.25, delayAtFull: 2, queueAtFull: 2 };
  const path = { srttMs: 50, minRttMs: 50, jitterMs: 1, deliveryRate: 1000, receiveLossRate: 0, measured: true };

  it('reports the seed fields with bandwidth in bits/s and severity 0 on a clean path', () => {
    const e = new CongestionEstimator(scales);
    const r = e.report(path, 123);
    expect(r).toEqual({ timestamp: 123, latency: 50, jitter: 1, packetLoss: 0, bandwidth: 8e6, queueBytes: 0, severity: 0 });
  });

  it('rises with loss, queueing delay and channel queue, and stays in [0, 1]', () => {
    const e = new CongestionEstimator(scales);
    for (let i = 0; i < 500; i++) e.onPacketOutcome(i % 10 === 0);
    const lossy = e.report(path, 0).severity;
    expect(lossy).toBeGreaterThan(0.2);
    const delayed = e.report({ ...path, srttMs: 150 }, 0).severity;
    expect(delayed).toBeGreaterThan(lossy);
    e.onSample({ queueBytes: 1e9 }, 0);
    expect(e.report(path, 0).severity).toBe(1);
  });

  it('ignores nonsense adapter samples', () => {
    const e = new CongestionEstimator(scales);
    e.onSample({ rttMs: -1, queueBytes: Number.NaN, availableBitrate: -5 }, 0);
    expect(e.report({ ...path, measured: false }, 0)).toMatchObject({ latency: 50, queueBytes: 0, bandwidth: 8e6 });
  });
});
