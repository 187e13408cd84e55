import { describe, expect, it } from 'vitest';
import { PduEngine } from '../../src/engine/index.js';
import { PacketType } from '../../src/wire/index.js';
import { connect, dropIncoming, makePair } from './engine-harness.js';

const RTT = 50;
const isData = (d: Uint8Array) => d[1] === PacketType.DATA;
/** The last of the nine fragments of a 10,000-byte message (message numbers below 64: header byte 8). */
const isLastFragment = (d: Uint8Array) => isData(d) && d[8] === 8;

/**
 * One 10,000-byte message sent 100 ms after the handshake, its last fragment lost once: only
 * the sender's tail probe finds that loss, and its timer is only as tight as the RTT variation.
 */
function firstMessageLosingItsTail(startupProbes: number) {
  const pair = makePair({ seed: 61, delayMs: RTT / 2, engine: { timers: { startupProbes } } });
  connect(pair);
  pair.sim.runUntil(pair.sim.now + 100);
  dropIncoming(pair.b, isLastFragment, 1);
  const start = pair.sim.now;
  let deliveredAt: number | undefined;
  pair.b.on((e, now) => {
    if (e.type === 'message') deliveredAt = now;
  });
  pair.a.send(new Uint8Array(10_000), { ordered: false }, start);
  pair.sim.runUntil(start + 2000);
  const stats = pair.a.engine.stats();
  return { latency: deliveredAt === undefined ? undefined : deliveredAt - start, retransmissions: stats.recovery.retransmissions };
}

describe('RTT probes right after the handshake', () => {
  it("settle the loss timers before the first message: a lost tail is resent about a round trip after it left, not twice that", () => {
    const train = firstMessageLosingItsTail(8);
    const single = firstMessageLosingItsTail(1);
    // Delivered once the resend crosses: the tail probe's timer plus half a round trip.
    // With one sample the RTT variation is half the RTT (RFC 6298), so the probe waited
    // srtt + 4 rttvar, up to 3 RTT; eight samples of a steady path bring it to 9/8 srtt.
    expect(train.latency).toBeDefined();
    expect(single.latency).toBeDefined();
    expect(train.latency!).toBeLessThan((9 / 8) * RTT + RTT / 2 + 10);
    expect(single.latency!).toBeGreaterThan(2 * RTT + RTT / 2);
    // Found by the tail probe in both runs, and only the lost fragment resent.
    for (const r of [train, single]) {
      expect(r.retransmissions.tail).toBe(1);
      expect(r.retransmissions.timeout).toBe(1);
      expect(r.retransmissions.spurious).toBe(0);
    }
  });

  it('takes a whole number of probes the outstanding-probe table can hold, and refuses others', () => {
    for (const startupProbes of [1, 8]) expect(() => new PduEngine({ role: 'initiator', timers: { startupProbes } })).not.toThrow();
    for (const startupProbes of [0, 1.5, 9, Number.NaN]) {
      expect(() => new PduEngine({ role: 'initiator', timers: { startupProbes } })).toThrow(RangeError);
    }
  });
});
