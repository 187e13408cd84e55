import { describe, expect, it } from 'vitest';
import { BernoulliLoss } from '../../src/transport/loss-models.js';
import { PacketType } from '../../src/wire/index.js';
import type { PduEngineOptions } from '../../src/engine/index.js';
import { connect, dropIncoming, makePair, payload, settleRtt, type Pair } from './engine-harness.js';

const MESSAGES = 20;
const SIZE = 16 * 1024;

/** Sends MESSAGES messages of 16 KiB, 200 ms apart, and lets them settle. */
function sendFlights(pair: Pair): void {
  const start = pair.sim.now;
  for (let i = 0; i < MESSAGES; i++) pair.sim.schedule(start + i * 200, (now) => pair.a.send(payload(i, SIZE), { ordered: false }, now));
  pair.sim.runUntil(start + MESSAGES * 200 + 1000);
}

function runReordering(engine: Omit<PduEngineOptions, 'role'>) {
  // 4 ms of jitter on a 25 ms one-way path, packets free to overtake: what stripes look like.
  const pair = makePair({ seed: 41, delayMs: 25, aToB: { jitterMs: 4, reorder: true }, engine });
  connect(pair);
  settleRtt(pair);
  const acksBefore = pair.b.engine.stats().traffic.controlPacketsSent;
  sendFlights(pair);
  const received = pair.b.events.filter((e) => e.type === 'message').length;
  return {
    acks: pair.b.engine.stats().traffic.controlPacketsSent - acksBefore,
    received,
    retransmissions: pair.a.engine.stats().recovery.retransmissions.timeout,
  };
}

describe('ACK schedule on a reordering path', () => {
  it('acknowledges a reordered burst with a few ACKs, not one per arrival, and resends nothing more', () => {
    const coalesced = runReordering({});
    const atOnce = runReordering({ ack: { outOfOrderAckDelayRtt: 0 } });
    expect(coalesced.received).toBe(MESSAGES + 30);
    expect(atOnce.received).toBe(MESSAGES + 30);
    // 15 datagrams per message: at once, most of them drew an ACK of their own.
    expect(atOnce.acks).toBeGreaterThan(MESSAGES * 8);
    expect(coalesced.acks).toBeLessThan(atOnce.acks * 0.6);
    expect(coalesced.retransmissions).toBeLessThanOrEqual(atOnce.retransmissions);
  });
});

describe('ACK repeat for a new hole', () => {
  function run(holeAckRepeatRtt: number) {
    const pair = makePair({ seed: 42, delayMs: 25, engine: { ack: { holeAckRepeatRtt } } });
    connect(pair);
    settleRtt(pair);
    // The message's nine fragments: the eighth is lost, and so is the ACK that reports the hole,
    // the one the tail (A) draws. Nothing later in the flight would tell the sender.
    let sentData = 0;
    const link = pair.sim.aToB;
    const poll = pair.a.pollTransmit.bind(pair.a);
    pair.a.pollTransmit = () => {
      const d = poll();
      if (d && d[1] === PacketType.DATA) link.configure({ loss: new BernoulliLoss(++sentData === 8 ? 1 : 0) });
      return d;
    };
    // On the way back, the first ACK b sends once the flight's last datagram has left.
    const acksLost = dropIncoming(pair.a, (d) => sentData >= 9 && d[1] === PacketType.CONTROL);
    let arrivedAt: number | undefined;
    pair.b.on((e, now) => {
      if (e.type === 'message') arrivedAt = now;
    });
    const start = pair.sim.now;
    pair.a.send(new Uint8Array(10_000), { ordered: false }, start);
    pair.sim.runUntil(start + 1000);
    const stats = pair.a.engine.stats().recovery;
    return { ackLost: acksLost() === 1, latency: arrivedAt! - start, retransmissions: stats.retransmissions.timeout, pto: stats.ptoCount };
  }

  it('lets the sender resend on the repeated ACK instead of waiting for a probe', () => {
    const repeated = run(1 / 8);
    const single = run(0);
    expect(repeated.ackLost).toBe(true);
    expect(single.ackLost).toBe(true);
    // With the repeat: one resend, found from the repeated ACK (81 ms here). Without: the tail
    // looks unacknowledged too, and a probe timeout passes before the hole is known (151 ms).
    expect(repeated.retransmissions).toBe(1);
    expect(repeated.pto).toBe(0);
    expect(repeated.latency).toBeLessThan(130);
    expect(single.latency - repeated.latency).toBeGreaterThan(30);
  });
});
