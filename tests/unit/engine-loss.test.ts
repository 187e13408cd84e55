import { describe, expect, it } from 'vitest';
import { GilbertElliottLoss } from '../../src/transport/loss-models.js';
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
