import { describe, expect, it } from 'vitest';
import { PduEngine, PduError } from '../../src/engine/index.js';
import { connect, makePair, payload, runWorkload, sameBytes } from './engine-harness.js';

describe('PduEngine basics', () => {
  it('connects both sides with the same SAS', () => {
    const pair = makePair({ seed: 1 });
    connect(pair);
    const sasA = pair.a.events.find((e) => e.type === 'connected');
    const sasB = pair.b.events.find((e) => e.type === 'connected');
    expect(sasA && sasA.type === 'connected' && sasA.sas).toBeTruthy();
    expect(sasA).toEqual(sasB);
  });

  it('refuses send before the handshake with a typed error', () => {
    const e = new PduEngine({ role: 'initiator' });
    expect(() => e.send(new Uint8Array(10), undefined, 0)).toThrow(PduError);
    try {
      e.send(new Uint8Array(10), undefined, 0);
    } catch (err) {
      expect((err as PduError).code).toBe('not-connected');
    }
  });

  it('delivers small and large messages byte-identical, with matching ids', () => {
    const pair = makePair({ seed: 2 });
    connect(pair);
    const sizes = [0, 1, 100, 1100, 1101, 5000, 16_384, 300_000];
    const r = runWorkload(pair, sizes.map((size, index) => ({ index, size, at: index * 10, opts: {} })), 10_000);
    expect(r.received.size).toBe(sizes.length);
    for (const [id, m] of r.sentIds) {
      const got = r.received.get(id);
      expect(got, `message ${m.index}`).toBeDefined();
      expect(got!.count).toBe(1);
      expect(sameBytes(got!.data, payload(m.index, m.size))).toBe(true);
      expect(r.delivered.has(id)).toBe(true);
    }
    const stats = pair.a.engine.stats();
    expect(stats.recovery.retransmissions.timeout + stats.recovery.retransmissions.predictive).toBe(0);
    expect(stats.dropped.internalErrors).toBe(0);
  });

  it('the receiver delivers ordered messages in send order', () => {
    const pair = makePair({ seed: 3, aToB: { jitterMs: 5, reorder: true } });
    connect(pair);
    const r = runWorkload(
      pair,
      Array.from({ length: 200 }, (_, index) => ({ index, size: 200 + ((index * 7919) % 5000), at: index, opts: { ordered: true } })),
      20_000,
    );
    const byOrder = [...r.sentIds.entries()].sort((x, y) => r.received.get(x[0])!.order - r.received.get(y[0])!.order);
    expect(byOrder.map(([, m]) => m.index)).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});
