import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SecureSession } from '../../src/crypto/index.js';
import { PduEngine } from '../../src/engine/index.js';
import type { ControlFrame } from '../../src/wire/index.js';
import { seededRandomBytes } from './engine-harness.js';

const limits = { maxReassemblyBytes: 256 * 1024, maxMessagesInProgress: 16, maxTrackedHoles: 64, maxSendBufferBytes: 1 << 20 };

/** An honest engine and a hostile peer that holds valid keys and sends whatever it likes. */
function hostileSetup() {
  const engine = new PduEngine({ role: 'responder', limits, security: { randomBytes: seededRandomBytes(11) } });
  const evil = new SecureSession({ role: 'initiator', randomBytes: seededRandomBytes(12) });
  let now = 0;
  const toEngine: Uint8Array[] = [evil.hello(now)];
  for (let round = 0; round < 20 && engine.state !== 'established'; round++) {
    now += 10;
    for (const d of toEngine.splice(0)) engine.handleDatagram(d, now);
    for (let d = engine.pollTransmit(); d; d = engine.pollTransmit()) {
      const r = evil.receive(d, now);
      if (r.kind === 'handshake') toEngine.push(...r.reply);
    }
    if (evil.state === 'keyed' || evil.state === 'established') toEngine.push(evil.sealControl([{ type: 'probe', id: 1, sendTime: now }], now).bytes);
  }
  expect(engine.state).toBe('established');
  let sentBytes = 0;
  const drain = () => {
    for (let d = engine.pollTransmit(); d; d = engine.pollTransmit()) sentBytes += d.length;
    while (engine.pollEvent());
  };
  drain();
  sentBytes = 0;
  return {
    engine,
    evil,
    get now() {
      return now;
    },
    step(ms: number) {
      now += ms;
      engine.handleTimeout(now);
      drain();
    },
    control(frames: ControlFrame[]) {
      engine.handleDatagram(evil.sealControl(frames, now).bytes, now);
      drain();
    },
    data(fragment: Parameters<SecureSession['sealData']>[0]) {
      engine.handleDatagram(evil.sealData(fragment, { sharding: false }, now).bytes, now);
      drain();
    },
    sent: () => sentBytes,
  };
}

describe('PduEngine against a hostile peer', () => {
  it('never throws on garbage, truncated or mutated datagrams (property)', () => {
    const engine = new PduEngine({ role: 'responder' });
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 1500 }), { maxLength: 30 }), (datagrams) => {
        for (const d of datagrams) engine.handleDatagram(d, 1);
        engine.handleTimeout(2);
        while (engine.pollTransmit());
      }),
    );
    expect(engine.stats().dropped.internalErrors).toBe(0);
  });

  it('ignores forged ACKs for packets never sent', () => {
    const h = hostileSetup();
    h.engine.send(new Uint8Array(5000), {}, h.now);
    h.step(1);
    h.control([{ type: 'ack', ackDelay: 0, ranges: [{ smallest: 0, largest: 2 ** 40 }] }]);
    const s = h.engine.stats();
    expect(s.recovery.invalidAcks).toBe(1);
    expect(s.messages.delivered).toBe(0);
    expect(s.dropped.internalErrors).toBe(0);
  });

  it('bounds what a NACK flood asking for everything can make it send', () => {
    const h = hostileSetup();
    h.engine.send(new Uint8Array(20_000), {}, h.now);
    h.step(1);
    const firstSend = h.sent();
    for (let i = 0; i < 200; i++) {
      h.step(5);
      h.control([{ type: 'nack', ranges: [{ smallest: 0, largest: 2 ** 47 }] }]);
    }
    // A NACKed packet is resent only once its copy is a round trip old (no RTT sample yet: the
    // initial 250 ms), so one second of flood costs at most one copy per round trip of what is
    // in flight: about what total loss would cost, never an amplification.
    const roundTrips = 1000 / h.engine.stats().rtt.minRtt;
    expect(h.sent()).toBeLessThanOrEqual(firstSend * (1 + roundTrips + 1));
    expect(h.engine.stats().dropped.internalErrors).toBe(0);
  });

  it('refuses huge fragment counts and stays within its reassembly caps', () => {
    const h = hostileSetup();
    h.data({ messageNumber: 0, sequenceNumber: 0, totalFragments: 2 ** 30 - 1, ordered: false, reliable: true, data: new Uint8Array(100) });
    for (let m = 1; m < 200; m++) {
      h.data({ messageNumber: m, sequenceNumber: 0, totalFragments: 50, ordered: false, reliable: true, data: new Uint8Array(1000) });
    }
    const s = h.engine.stats();
    expect(s.memory.messagesInProgress).toBeLessThanOrEqual(limits.maxMessagesInProgress);
    expect(s.memory.reassemblyBytes).toBeLessThanOrEqual(limits.maxReassemblyBytes);
    expect(s.dropped.invalidFragments + s.dropped.refusedFragments).toBeGreaterThan(150);
    expect(s.dropped.internalErrors).toBe(0);
  });

  it('caps holes when the peer skips huge stretches of packet numbers', () => {
    const h = hostileSetup();
    for (let i = 0; i < 100; i++) {
      // Skipping numbers by burning them on packets we never deliver.
      for (let k = 0; k < 50; k++) h.evil.sealControl([{ type: 'probe', id: k, sendTime: 0 }], h.now);
      h.control([{ type: 'probe', id: i, sendTime: h.now }]);
    }
    expect(h.engine.stats().memory.trackedHoles).toBeLessThanOrEqual(limits.maxTrackedHoles);
  });

  it('survives contradictory fragments, bogus cancels and ordered sequences from far ahead', () => {
    const h = hostileSetup();
    h.data({ messageNumber: 3, sequenceNumber: 0, totalFragments: 2, ordered: true, orderedSequence: 2 ** 30 - 1, reliable: true, data: new Uint8Array(500) });
    h.data({ messageNumber: 3, sequenceNumber: 1, totalFragments: 3, ordered: true, orderedSequence: 2 ** 30 - 1, reliable: true, data: new Uint8Array(500) });
    h.data({ messageNumber: 3, sequenceNumber: 1, totalFragments: 2, ordered: true, orderedSequence: 2 ** 30 - 1, reliable: true, data: new Uint8Array(900) });
    h.control([{ type: 'cancel', messageNumbers: [0, 3, 2 ** 30 - 1] }]);
    h.control([{ type: 'echo', id: 99, echoedSendTime: -1e12, holdTime: 1e12 }]);
    const s = h.engine.stats();
    expect(s.dropped.invalidFragments).toBe(2);
    expect(s.rtt.srtt).toBeLessThan(1000);
    expect(s.memory.messagesInProgress).toBe(0);
    expect(s.dropped.internalErrors).toBe(0);
  });
});
