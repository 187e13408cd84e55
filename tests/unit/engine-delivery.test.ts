import { describe, expect, it } from 'vitest';
import { PduError } from '../../src/engine/index.js';
import { BernoulliLoss } from '../../src/transport/loss-models.js';
import { connect, makePair, runWorkload } from './engine-harness.js';

describe('PduEngine delivery semantics', () => {
  it('expires a deadline message it cannot confirm in time, reports it, and the receiver never delivers it late', () => {
    const pair = makePair({ seed: 4, delayMs: 25 });
    connect(pair);
    // Everything a->b is lost for a while: nothing can arrive before the deadline, nor the
    // CANCEL after it, so the sender waits out its answer (16 probe timeouts) and gives up.
    pair.sim.aToB.configure({ loss: new BernoulliLoss(1) });
    const r = runWorkload(pair, [{ index: 0, size: 5000, at: 0, opts: { deadlineMs: 100 } }], 3000);
    expect(r.expired.size).toBe(1);
    pair.sim.aToB.configure({ loss: new BernoulliLoss(0) });
    pair.sim.runUntil(pair.sim.now + 2000);
    expect(r.received.size).toBe(0);
    const expired = pair.a.events.find((e) => e.type === 'expired');
    expect(expired).toMatchObject({ direction: 'outgoing', reason: 'deadline' });
    expect(pair.a.engine.stats().messages.expired).toBe(1);
  });

  it('an ordered stream goes on past a cancelled ordered message', () => {
    const pair = makePair({ seed: 5, delayMs: 25 });
    connect(pair);
    pair.sim.aToB.configure({ loss: new BernoulliLoss(1) });
    const first = runWorkload(pair, [{ index: 0, size: 3000, at: 0, opts: { ordered: true, deadlineMs: 60 } }], 3000);
    expect(first.expired.size).toBe(1);
    pair.sim.aToB.configure({ loss: new BernoulliLoss(0) });
    const rest = runWorkload(pair, [1, 2, 3].map((index) => ({ index, size: 2000, at: index, opts: { ordered: true } })), 5000);
    expect(rest.received.size).toBe(3);
    expect(pair.b.engine.stats().messages.orderedSkipped).toBe(1);
  });

  it('drops a best-effort message at its first loss and reports it expired', () => {
    const pair = makePair({ seed: 6, delayMs: 10 });
    connect(pair);
    pair.sim.aToB.configure({ loss: new BernoulliLoss(1) });
    const r = runWorkload(pair, [{ index: 0, size: 3000, at: 0, opts: { reliable: false, ordered: false } }], 3000);
    expect(r.expired.size).toBe(1);
    expect(pair.a.engine.stats().recovery.retransmissions.timeout + pair.a.engine.stats().recovery.retransmissions.predictive).toBe(0);
  });

  it('pushes back with a typed error when the send buffer is full, and accepts again once delivered', () => {
    const pair = makePair({ seed: 7, engine: { limits: { maxSendBufferBytes: 100_000 } } });
    connect(pair);
    const now = pair.sim.now;
    pair.a.send(new Uint8Array(60_000), undefined, now);
    let error: unknown;
    try {
      pair.a.send(new Uint8Array(60_000), undefined, now);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(PduError);
    expect((error as PduError).code).toBe('backpressure');
    pair.sim.runUntil(now + 1000);
    expect(() => pair.a.send(new Uint8Array(60_000), undefined, pair.sim.now)).not.toThrow();
    expect(() => pair.a.send(new Uint8Array(20 * 1024 * 1024), undefined, pair.sim.now)).toThrow(/maxMessageBytes/);
  });

  it('shards under congestion: smaller fragments, S flag, visible in stats and events', () => {
    const pair = makePair({ seed: 8, engine: { sharding: { severityThreshold: 0, minFragmentSize: 200 } } });
    connect(pair);
    for (const l of [pair.sim.aToB, pair.sim.bToA]) l.configure({ loss: new BernoulliLoss(0.2) });
    const r = runWorkload(pair, Array.from({ length: 60 }, (_, index) => ({ index, size: 8000, at: index * 20, opts: {} })), 20_000);
    expect(r.received.size).toBe(60);
    const s = pair.a.engine.stats();
    expect(s.sharding.messagesSharded).toBeGreaterThan(0);
    expect(s.sharding.lastFragmentSize).toBeLessThan(1100);
    expect(s.sharding.lastFragmentSize).toBeGreaterThanOrEqual(200);
    expect(pair.a.events.some((e) => e.type === 'sharding' && e.sharded)).toBe(true);
  });

  it('closes gracefully: pending sends settle as expired, both sides see closed', () => {
    const pair = makePair({ seed: 9 });
    connect(pair);
    const id = pair.a.send(new Uint8Array(50_000), undefined, pair.sim.now);
    pair.sim.schedule(pair.sim.now, (now) => pair.a.engine.close(now, 'bye'));
    pair.sim.runUntil(pair.sim.now + 500);
    expect(pair.a.events).toContainEqual({ type: 'expired', id, direction: 'outgoing', reason: 'closed' });
    expect(pair.a.events.some((e) => e.type === 'closed')).toBe(true);
    expect(pair.b.events).toContainEqual({ type: 'closed', reason: 'bye' });
    expect(pair.a.engine.nextTimeout()).toBeUndefined();
  });

  it("runs the shipped learned model when 'model' is asked for, and the heuristic by default", () => {
    const model = makePair({ seed: 10, engine: { recovery: { predictor: 'model' } } }).a.engine.stats();
    expect(model.recovery.predictorRequested).toBe('model');
    expect(model.recovery.predictor).toBe('model');
    expect(model.recovery.predictorFallback).toBeUndefined();
    expect(makePair({ seed: 10 }).a.engine.stats().recovery.predictor).toBe('timeout');
  });
});
