import { describe, expect, it } from 'vitest';
import { BernoulliLoss } from '../../src/transport/loss-models.js';
import { connect, makePair, runWorkload } from './engine-harness.js';

describe('TraceRecorder through the engine', () => {
  it('exports per-fragment events with predictor features and congestion state as JSONL', () => {
    const pair = makePair({ seed: 21, engine: { trace: { maxEvents: 100_000 }, recovery: { predictor: 'heuristic' } } });
    connect(pair);
    for (const l of [pair.sim.aToB, pair.sim.bToA]) l.configure({ loss: new BernoulliLoss(0.1) });
    runWorkload(pair, Array.from({ length: 50 }, (_, index) => ({ index, size: 6000, at: index * 20, opts: {} })), 20_000);
    const lines = [...pair.a.engine.exportTrace().split('\n'), ...pair.b.engine.exportTrace().split('\n')].map((l) => JSON.parse(l));
    const events = new Set(lines.map((l) => l.event));
    for (const e of ['sent', 'retransmitted', 'acked', 'lost', 'received', 'nacked', 'delivered']) expect(events, e).toContain(e);
    const nack = lines.find((l) => l.event === 'nacked');
    expect(nack.features).toHaveProperty('successors');
    expect(nack.features).toHaveProperty('interArrivalJitterMs');
    expect(nack.cc).toHaveProperty('severity');
    expect(lines.find((l) => l.event === 'retransmitted').cause).toMatch(/nack|threshold|pto/);
  });

  it('keeps only the newest events when full', () => {
    const pair = makePair({ seed: 22, engine: { trace: { maxEvents: 50 } } });
    connect(pair);
    runWorkload(pair, Array.from({ length: 20 }, (_, index) => ({ index, size: 3000, at: index, opts: {} })), 5000);
    const records = pair.a.engine.traceRecords();
    expect(records.length).toBe(50);
    for (let i = 1; i < records.length; i++) expect(records[i]!.t).toBeGreaterThanOrEqual(records[i - 1]!.t);
  });
});
