import { describe, expect, it } from 'vitest';
import { BernoulliLoss, GilbertElliottLoss } from '../../src/transport/loss-models.js';
import { checkDeliveryContract, connect, makePair, mixedWorkload, runWorkload } from './engine-harness.js';

describe('PduEngine under 10% Gilbert-Elliott loss (good/bad 18/2), 50 ms RTT', () => {
  it('delivers 1,000 mixed-size messages exactly once, byte-identical, ordered where asked; deadline messages expire and are reported', () => {
    const pair = makePair({ seed: 42, delayMs: 25 });
    connect(pair);
    for (const link of [pair.sim.aToB, pair.sim.bToA]) link.configure({ loss: GilbertElliottLoss.fromRuns(18, 2) });
    const messages = mixedWorkload(7, 1000, 40, 0.1);
    const r = runWorkload(pair, messages, 600_000, 5_000);
    expect(r.sentIds.size).toBe(messages.length);
    const failures: string[] = [];
    const expired = checkDeliveryContract(r, (ok, what) => ok || failures.push(what));
    expect(failures).toEqual([]);
    expect(expired).toBeGreaterThan(0);
    for (const side of [pair.a, pair.b]) expect(side.engine.stats().dropped.internalErrors).toBe(0);
    const rx = pair.b.engine.stats().memory;
    expect(rx.messagesInProgress).toBe(0);
    expect(rx.reassemblyBytes).toBe(0);
  });
});

describe('PduEngine on a path that reorders', () => {
  it('learns the reordering: after a few needless resends the time threshold stops firing on late packets', () => {
    // 5 Mbit/s, 25 ms each way, 5 ms (standard deviation) of jitter that lets packets overtake.
    const pair = makePair({ seed: 3, delayMs: 25, aToB: { rateBitsPerSecond: 5e6, queueLimitBytes: 64 * 1024, jitterMs: 5, reorder: true } });
    connect(pair);
    const messages = Array.from({ length: 300 }, (_, index) => ({ index, size: 3000, at: index * 8, opts: {} }));
    const r = runWorkload(pair, messages, 60_000, 0);
    expect(r.received.size).toBe(300);
    const s = pair.a.engine.stats();
    // Without the reordering window about 300 of 1,200 datagrams were resent for nothing here.
    expect(s.recovery.retransmissions.spurious).toBeGreaterThan(0);
    expect(s.recovery.retransmissions.spurious).toBeLessThan(0.02 * s.traffic.dataPacketsSent);
    // Late packets were taken for lost by the time threshold (no lanes here, no NACKs by default).
    const by = s.recovery.retransmissions.spuriousBy;
    expect(by.threshold).toBeGreaterThan(0);
    expect(by.threshold + by.tail + by.pto).toBe(s.recovery.retransmissions.spurious);
    expect(by.nack + by.lane).toBe(0);
  });

  it('reports late packets that fill old holes, so small datagrams on a reordering path are not resent for nothing', () => {
    // 128-byte datagrams at a few thousand a second, 3 ms of jitter: the receiver holds many
    // small holes at once, and each late packet fills one below what its ACKs still repeat.
    const pair = makePair({ seed: 5, delayMs: 25, aToB: { jitterMs: 3, reorder: true }, engine: { maxDatagramSize: 128 } });
    connect(pair);
    const messages = Array.from({ length: 300 }, (_, index) => ({ index, size: 3000, at: index * 5, opts: { ordered: false } }));
    const r = runWorkload(pair, messages, 60_000, 0);
    expect(r.received.size).toBe(300);
    const s = pair.a.engine.stats();
    // Left out of every ACK, about 7,900 of 16,900 datagrams were resent for nothing here.
    expect(s.recovery.retransmissions.spurious).toBeLessThan(0.05 * s.traffic.dataPacketsSent);
  });
});

describe('PduEngine with datagrams too small for its configured ACK ranges', () => {
  it('fits ACK and NACK ranges into maxDatagramSize instead of failing to seal them forever', () => {
    // 256 ACK ranges and 64 NACK ranges cannot fit a 128-byte datagram whole.
    const pair = makePair({
      seed: 5,
      delayMs: 25,
      aToB: { jitterMs: 3, reorder: true },
      engine: { maxDatagramSize: 128, recovery: { predictor: 'heuristic' }, ack: { maxAckRanges: 256, rangeRepeats: 1000 } },
      maxSteps: 5_000_000,
    });
    let largest = 0;
    const poll = pair.b.pollTransmit.bind(pair.b);
    pair.b.pollTransmit = (lane) => {
      const d = poll(lane);
      if (d) largest = Math.max(largest, d.length);
      return d;
    };
    connect(pair);
    pair.sim.aToB.configure({ loss: new BernoulliLoss(0.1) });
    const messages = Array.from({ length: 300 }, (_, index) => ({ index, size: 3000, at: index * 5, opts: { ordered: false } }));
    const r = runWorkload(pair, messages, 120_000, 0);
    expect(r.received.size).toBe(300);
    expect(largest).toBe(128);
    for (const side of [pair.a, pair.b]) expect(side.engine.stats().dropped.internalErrors).toBe(0);
  });
});

