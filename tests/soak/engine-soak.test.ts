import { describe, expect, it } from 'vitest';
import { GilbertElliottLoss } from '../../src/transport/loss-models.js';
import { checkDeliveryContract, connect, makePair, mixedWorkload, runWorkload } from '../unit/engine-harness.js';

// `npm run test:soak`: the 10,000-message run of the engine issue (CI runs the 1,000-message one).
describe('PduEngine soak: 10,000 mixed messages under 10% Gilbert-Elliott loss, 50 ms RTT', () => {
  it('delivers every reliable message exactly once and intact, in order where asked; deadline ones are received or reported expired', () => {
    const pair = makePair({ seed: 20_000, delayMs: 25, maxSteps: 500_000_000 });
    connect(pair);
    for (const link of [pair.sim.aToB, pair.sim.bToA]) link.configure({ loss: GilbertElliottLoss.fromRuns(18, 2) });
    const messages = mixedWorkload(10_000, 10_000, 40, 0.1);
    const started = Date.now();
    const r = runWorkload(pair, messages, 3_600_000, 10_000);
    const failures: string[] = [];
    const expired = checkDeliveryContract(r, (ok, what) => ok || failures.push(what));
    const a = pair.a.engine.stats();
    const b = pair.b.engine.stats();
    console.log(
      JSON.stringify({
        soak: 'engine',
        messages: messages.length,
        received: r.received.size,
        expired,
        virtualSeconds: (r.finishedAt - (messages[0]?.at ?? 0)) / 1000,
        wallSeconds: (Date.now() - started) / 1000,
        retransmissions: a.recovery.retransmissions,
        payloadBytes: a.traffic.payloadBytesSent,
        wireBytes: a.traffic.wireBytesSent + b.traffic.wireBytesSent,
      }),
    );
    expect(failures.slice(0, 20)).toEqual([]);
    expect(r.sentIds.size).toBe(messages.length);
    expect(a.dropped.internalErrors + b.dropped.internalErrors).toBe(0);
    expect(b.memory.messagesInProgress).toBe(0);
  });
});
