// Key update: by packet count and by time, only after the peer acknowledged the current epoch,
// with fragments in flight across the switch still opening during the grace period.
import { describe, expect, it } from 'vitest';
import type { SecureSession } from '../../src/crypto/index.js';
import type { FragmentHeader } from '../../src/wire/index.js';
import { establishedPair } from '../support/sessions.js';

const fragment = (messageNumber: number): Omit<FragmentHeader, 'uuid'> => ({
  messageNumber,
  sequenceNumber: 0,
  totalFragments: 1,
  ordered: false,
  reliable: true,
  data: new Uint8Array([messageNumber & 255]),
});

/** b acknowledges `largest` to a. */
function ack(a: SecureSession, b: SecureSession, largest: number, now: number): void {
  const { bytes } = b.sealControl([{ type: 'ack', ackDelay: 0, ranges: [{ smallest: 0, largest }] }], now);
  expect(a.receive(bytes, now).kind).toBe('control');
}

const keyPhase = (bytes: Uint8Array) => ((bytes[0] as number) >> 1) & 1;

describe('key update', () => {
  it('rekeys by packet count once acknowledged; the receiver follows every epoch', () => {
    const { a, b } = establishedPair(1, { rekeyAfterPackets: 10 });
    const packetNumbers: number[] = [];
    const phases: number[] = [];
    for (let i = 0; i < 100; i++) {
      const { bytes, packetNumber } = a.sealData(fragment(i), { sharding: false }, i);
      packetNumbers.push(packetNumber);
      phases.push(keyPhase(bytes));
      const result = b.receive(bytes, i);
      expect(result.kind).toBe('data');
      if (i % 4 === 3) ack(a, b, packetNumber, i);
    }
    const counters = a.counters();
    expect(counters.sendEpoch).toBeGreaterThanOrEqual(8);
    expect(b.counters().receiveEpoch).toBe(counters.sendEpoch);
    expect(b.counters().receiveRekeys).toBe(counters.sendRekeys);
    expect(new Set(phases)).toEqual(new Set([0, 1]));
    // Packet numbers strictly increase across epochs, so no nonce is ever reused.
    for (let i = 1; i < packetNumbers.length; i++) expect(packetNumbers[i]).toBeGreaterThan(packetNumbers[i - 1] as number);
    expect(b.counters().dropped.auth_failed).toBe(0);
  });

  it('postpones a due key update until the peer acknowledged a packet of the current epoch', () => {
    const { a, b } = establishedPair(2, { rekeyAfterPackets: 5 });
    for (let i = 0; i < 20; i++) b.receive(a.sealData(fragment(i), { sharding: false }, 0).bytes, 0);
    expect(a.counters().sendEpoch).toBe(0);
    const last = a.sealData(fragment(20), { sharding: false }, 0);
    b.receive(last.bytes, 0);
    ack(a, b, last.packetNumber, 0);
    const next = a.sealData(fragment(21), { sharding: false }, 0);
    expect(keyPhase(next.bytes)).toBe(1);
    expect(b.receive(next.bytes, 0).kind).toBe('data');
    expect(a.counters().sendEpoch).toBe(1);
    // The new epoch is unconfirmed: no second update yet, however many packets follow.
    for (let i = 0; i < 20; i++) b.receive(a.sealData(fragment(22 + i), { sharding: false }, 0).bytes, 0);
    expect(a.counters().sendEpoch).toBe(1);
  });

  it('rekeys by time', () => {
    const { a, b } = establishedPair(3, { rekeyAfterMs: 1000 });
    const first = a.sealData(fragment(1), { sharding: false }, 0);
    b.receive(first.bytes, 0);
    ack(a, b, first.packetNumber, 10);
    expect(keyPhase(a.sealData(fragment(2), { sharding: false }, 999).bytes)).toBe(0);
    const late = a.sealData(fragment(3), { sharding: false }, 1000);
    expect(keyPhase(late.bytes)).toBe(1);
    expect(b.receive(late.bytes, 1000).kind).toBe('data');
    expect(b.counters().receiveEpoch).toBe(1);
  });

  it('opens fragments sealed before the switch during the grace period, not after', () => {
    const { a, b } = establishedPair(4, { rekeyAfterPackets: 12, keyGraceMs: 2000 });
    const confirm = a.sealData(fragment(0), { sharding: false }, 0);
    b.receive(confirm.bytes, 0);
    ack(a, b, confirm.packetNumber, 0);
    // FINISHED and `confirm` used packet numbers 0 and 1; these take 2..11, the rest of epoch 0.
    const old = Array.from({ length: 10 }, (_, i) => a.sealData(fragment(1 + i), { sharding: false }, 0));
    const fresh = a.sealData(fragment(100), { sharding: false }, 0);
    expect(keyPhase(old[0]?.bytes as Uint8Array)).toBe(0);
    expect(keyPhase(fresh.bytes)).toBe(1);
    // The new epoch arrives first; the old epoch's fragments were still in flight.
    expect(b.receive(fresh.bytes, 100).kind).toBe('data');
    expect(old.every((o) => keyPhase(o.bytes) === 0)).toBe(true);
    for (const o of old.slice(0, 5)) expect(b.receive(o.bytes, 1500).kind).toBe('data');
    for (const o of old.slice(5)) expect(b.receive(o.bytes, 2100)).toEqual({ kind: 'dropped', reason: 'stale_key' });
    expect(b.counters().dropped.stale_key).toBe(5);
  });

  it('keeps working across many epochs with reordering inside each', () => {
    const { a, b } = establishedPair(5, { rekeyAfterPackets: 3 });
    let delivered = 0;
    for (let round = 0; round < 30; round++) {
      const batch = Array.from({ length: 4 }, (_, i) => a.sealData(fragment(round * 4 + i), { sharding: false }, round));
      for (const s of [batch[1], batch[0], batch[3], batch[2]]) {
        if (b.receive((s as { bytes: Uint8Array }).bytes, round).kind === 'data') delivered++;
      }
      ack(a, b, (batch[3] as { packetNumber: number }).packetNumber, round);
    }
    expect(delivered).toBe(120);
    expect(a.counters().sendEpoch).toBeGreaterThanOrEqual(20);
  });
});
