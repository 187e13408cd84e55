import { describe, expect, it } from 'vitest';
import { BernoulliLoss } from '../../src/transport/loss-models.js';
import type { PduEvent } from '../../src/engine/index.js';
import { connect, makePair, runWorkload, type Pair } from './engine-harness.js';

/** Loses everything a->b from now until `ms` later. */
function blackout(pair: Pair, ms: number): void {
  pair.sim.aToB.configure({ loss: new BernoulliLoss(1) });
  pair.sim.schedule(pair.sim.now + ms, () => pair.sim.aToB.configure({ loss: new BernoulliLoss(0) }));
}

const ofType = <T extends PduEvent['type']>(events: PduEvent[], type: T) =>
  events.filter((e): e is Extract<PduEvent, { type: T }> => e.type === type);

describe('deadlines on both sides', () => {
  it('settles as delivered when the peer had the message in time, though the acknowledgement came after the deadline', () => {
    const pair = makePair({ seed: 21, delayMs: 25 });
    connect(pair);
    // One datagram, 40 ms to live: it arrives after 25 ms, its ACK can only be back after 50.
    const id = pair.a.send(new Uint8Array(500), { deadlineMs: 40 }, pair.sim.now);
    pair.sim.runUntil(pair.sim.now + 1000);
    expect(ofType(pair.b.events, 'message').map((e) => e.id)).toEqual([id]);
    expect(ofType(pair.a.events, 'delivered').map((e) => e.id)).toEqual([id]);
    expect(ofType(pair.a.events, 'expired')).toEqual([]);
  });

  it('drops a message whose last fragment arrives after the deadline, unacknowledged, and both sides report it expired', () => {
    const pair = makePair({ seed: 21, delayMs: 25 });
    connect(pair);
    // The first copy is lost; the probe timeout resends it 175 ms later (seen in this seed's
    // trace), with 10 ms left: it lands 25 ms later, after the deadline.
    blackout(pair, 1);
    const id = pair.a.send(new Uint8Array(500), { deadlineMs: 185 }, pair.sim.now);
    pair.sim.runUntil(pair.sim.now + 1500);
    const b = pair.b.engine.stats();
    expect(b.recovery.retransmissions.timeout + pair.a.engine.stats().recovery.retransmissions.timeout).toBeGreaterThan(0);
    expect(ofType(pair.b.events, 'message')).toEqual([]);
    expect(ofType(pair.b.events, 'expired')).toEqual([{ type: 'expired', id, direction: 'incoming', reason: 'deadline' }]);
    expect(b.messages.missedDeadline).toBe(1);
    expect(ofType(pair.a.events, 'expired')).toEqual([{ type: 'expired', id, direction: 'outgoing', reason: 'deadline' }]);
    expect(ofType(pair.a.events, 'delivered')).toEqual([]);
  });

  it('frees an incomplete message at its deadline on its own, when the CANCEL is lost', () => {
    const pair = makePair({ seed: 22, delayMs: 25 });
    connect(pair);
    // The first fragment gets through; the rest, every resend and the CANCEL do not.
    let passed = 0;
    pair.sim.aToB.configure({ loss: { next: () => ({ lost: passed++ > 0 }), meanLoss: () => 1, spec: () => 'first only' } });
    pair.a.send(new Uint8Array(3000), { deadlineMs: 100 }, pair.sim.now);
    pair.sim.runUntil(pair.sim.now + 60);
    expect(pair.b.engine.stats().memory.messagesInProgress).toBe(1);
    pair.sim.runUntil(pair.sim.now + 100);
    const b = pair.b.engine.stats();
    expect(b.memory.messagesInProgress).toBe(0);
    expect(b.memory.reassemblyBytes).toBe(0);
    expect(b.messages.missedDeadline).toBe(1);
    expect(b.messages.cancelledByPeer).toBe(0);
  });

  it('above capacity sheds what cannot arrive in time; every message is received in time or expired on both sides, never both', () => {
    const pair = makePair({ seed: 23, delayMs: 25 });
    connect(pair);
    // 16 KiB at 20/s is 2.6 Mbit/s into a 1 Mbit/s bottleneck.
    pair.sim.aToB.configure({ rateBitsPerSecond: 1e6, queueLimitBytes: 64 * 1024 });
    const deadlineMs = 1000;
    const messages = Array.from({ length: 200 }, (_, index) => ({ index, size: 16 * 1024, at: index * 50, opts: { deadlineMs } }));
    const start = pair.sim.now;
    const r = runWorkload(pair, messages, 20_000, 2000);
    const a = pair.a.engine.stats();
    const latencies: number[] = [];
    for (const [id, m] of r.sentIds) {
      const got = r.received.get(id);
      expect(got !== undefined, `message ${m.index}: received, or expired, not both`).toBe(!r.expired.has(id));
      expect(r.delivered.has(id), `message ${m.index}: delivered exactly when received`).toBe(got !== undefined);
      if (got) latencies.push(got.at - (start + m.at));
    }
    // What arrives, arrives in time (the deadline is whole ms on the wire: 1 ms of rounding).
    expect(Math.max(...latencies)).toBeLessThanOrEqual(deadlineMs + 1);
    expect(a.messages.shed).toBeGreaterThan(0);
    // The link moves about 76 such messages in the 10 s: shedding keeps it busy with ones that make it.
    expect(latencies.length).toBeGreaterThanOrEqual(60);
  });
});
