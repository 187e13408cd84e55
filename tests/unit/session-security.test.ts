// Sealed datagrams through an established SecureSession: each tampering, truncation, replay,
// reordering, wrong key and unknown version is rejected or accepted exactly as PROTOCOL.md says,
// and counted.
import { describe, expect, it } from 'vitest';
import { SecureSession, SessionError, type SessionConfig, type SessionReceive } from '../../src/crypto/index.js';
import type { FragmentHeader } from '../../src/wire/index.js';
import { establishedPair } from '../support/sessions.js';

const fragment = (messageNumber: number, data: Uint8Array): Omit<FragmentHeader, 'uuid'> => ({
  messageNumber,
  sequenceNumber: 0,
  totalFragments: 1,
  ordered: true,
  reliable: true,
  orderedSequence: messageNumber,
  data,
});

const payload = (n: number, fill = 0xab) => new Uint8Array(n).fill(fill);

describe('data and control round trips', () => {
  it('delivers a fragment with its recomputed UUID and header', () => {
    const { a, b } = establishedPair(1);
    const { bytes, packetNumber } = a.sealData(
      { messageNumber: 300, sequenceNumber: 3, totalFragments: 9, ordered: false, reliable: true, data: payload(500) },
      { sharding: true },
      10,
    );
    const result = b.receive(bytes, 10);
    expect(result.kind).toBe('data');
    if (result.kind !== 'data') return;
    expect(result.packetNumber).toBe(packetNumber);
    expect(result.header).toMatchObject({ version: 1, shardingEnabled: true, keyPhase: 0, type: 3, packetNumber });
    expect(result.fragment.uuid).toBe(a.messageUuid('send', 300));
    expect(result.header.uuid).toBe(result.fragment.uuid);
    expect(result.fragment).toMatchObject({ messageNumber: 300, sequenceNumber: 3, totalFragments: 9, ordered: false, reliable: true });
    expect(result.fragment.orderedSequence).toBeUndefined();
    expect(result.fragment.data).toEqual(payload(500));
  });

  it('delivers control frames and counts sealed and opened packets', () => {
    const { a, b } = establishedPair(2);
    const before = b.counters();
    const frames = [
      { type: 'ack' as const, ackDelay: 2, ranges: [{ smallest: 0, largest: 3 }] },
      { type: 'probe' as const, id: 9, sendTime: 123.25 },
    ];
    const { bytes } = a.sealControl(frames, 1);
    expect(b.receive(bytes, 1)).toMatchObject({ kind: 'control', frames });
    expect(b.counters().opened).toBe(before.opened + 1);
    expect(a.counters().sealed).toBeGreaterThan(0);
  });

  it('fills a datagram exactly up to maxDatagramSize and refuses one byte more', () => {
    const { a, b } = establishedPair(3, { maxDatagramSize: 1150 });
    const room = a.maxFragmentPayload(1150, true);
    const big = fragment(2 ** 30 - 1, payload(room));
    big.orderedSequence = 2 ** 30 - 1;
    big.totalFragments = 2 ** 30 - 1;
    big.sequenceNumber = 2 ** 30 - 2;
    const sealed = a.sealData(big, { sharding: false }, 0);
    expect(sealed.bytes.length).toBe(1150);
    expect(b.receive(sealed.bytes, 0).kind).toBe('data');
    expect(() => a.sealData({ ...big, data: payload(room + 1) }, { sharding: false }, 0)).toThrow(SessionError);
    // A fragment of a ~1 MiB message: every varint 2 bytes, so 15 header + 16 tag = 2.7 %.
    const typical = { ...fragment(1000, payload(1150 - 31)), sequenceNumber: 500, totalFragments: 950 };
    expect(a.sealData(typical, { sharding: true }, 0).bytes.length).toBe(1150);
  });

  it('throws SessionError on caller errors, never on peer input', () => {
    const { a } = establishedPair(4);
    expect(() => a.sealData({ ...fragment(1, payload(1)), sequenceNumber: 1 }, { sharding: false }, 0)).toThrow(SessionError);
    expect(() => a.sealControl([], 0)).toThrow(SessionError);
    const fresh = new SecureSession({ role: 'initiator' });
    expect(() => fresh.sealControl([{ type: 'probe', id: 1, sendTime: 0 }], 0)).toThrow(SessionError);
    expect(() => fresh.messageUuid('send', 1)).toThrow(SessionError);
  });
});

describe('tampering', () => {
  it('rejects every single-bit flip of a DATA datagram, each for the reason the spec gives', () => {
    const { a, b } = establishedPair(5);
    const original = a.sealData(fragment(70, payload(64)), { sharding: false }, 0).bytes;
    const headerLength = 6 + 1 + 2 + 1 + 1 + 2; // prefix, flags, msgno 70 (2 bytes), seq, total, ordseq 70
    const reasons = new Map<string, number>();
    for (let bit = 0; bit < original.length * 8; bit++) {
      const tampered = original.slice();
      const byte = bit >> 3;
      tampered[byte] = (tampered[byte] as number) ^ (1 << (bit & 7));
      const result = b.receive(tampered, 0);
      expect(result.kind).toBe('dropped');
      const reason = result.kind === 'dropped' ? result.reason : 'delivered';
      reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
      if (byte >= headerLength) expect(reason).toBe('auth_failed'); // payload and tag
      if (byte === 0 && (bit & 7) < 2) expect(reason).toBe('auth_failed'); // S and K flags are authenticated
      if (byte === 0 && ((bit & 7) === 2 || (bit & 7) === 3)) expect(reason).toBe('malformed'); // reserved
      if (byte === 0 && (bit & 7) >= 5) expect(reason).toBe('unknown_version');
      if (byte === 1) expect(reason).toBe('malformed');
      // A changed packet number fails authentication, or is caught earlier by the replay window.
      if (byte >= 2 && byte < 6) expect(['auth_failed', 'duplicate', 'too_old']).toContain(reason);
    }
    const counted = b.counters().dropped;
    expect(counted.auth_failed).toBe(reasons.get('auth_failed'));
    expect(counted.malformed).toBe(reasons.get('malformed'));
    expect(counted.unknown_version).toBe(reasons.get('unknown_version'));
    // Nothing was corrupted along the way: the untouched datagram still opens.
    expect(b.receive(original, 0).kind).toBe('data');
  });

  it('rejects every truncation', () => {
    const { a, b } = establishedPair(6);
    const original = a.sealControl([{ type: 'probe', id: 1, sendTime: 5 }], 0).bytes;
    const before = b.counters().dropped;
    for (let length = 0; length < original.length; length++) {
      const result = b.receive(original.subarray(0, length), 0);
      expect(result.kind).toBe('dropped');
      expect(['malformed', 'auth_failed']).toContain(result.kind === 'dropped' && result.reason);
    }
    const after = b.counters().dropped;
    expect(after.malformed + after.auth_failed - before.malformed - before.auth_failed).toBe(original.length);
    expect(b.receive(original, 0).kind).toBe('control');
  });

  it('rejects datagrams sealed under another session key', () => {
    const { a: x } = establishedPair(7);
    const { b } = establishedPair(8);
    const foreign = x.sealData(fragment(1, payload(10)), { sharding: false }, 0).bytes;
    expect(b.receive(foreign, 0)).toEqual({ kind: 'dropped', reason: 'auth_failed' });
    expect(b.counters().dropped.auth_failed).toBe(1);
  });

  it('drops an unknown version and offers a VERSION answer', () => {
    const { a, b } = establishedPair(9);
    const bytes = a.sealData(fragment(1, payload(10)), { sharding: false }, 0).bytes.slice();
    bytes[0] = ((bytes[0] as number) & 0x0f) | 0x70;
    const result = b.receive(bytes, 0);
    expect(result).toMatchObject({ kind: 'dropped', reason: 'unknown_version' });
    expect(result.kind === 'dropped' && result.reply?.[0]?.[0]).toBe(0x00);
  });
});

describe('replay window', () => {
  it('drops a replayed datagram and counts it', () => {
    const { a, b } = establishedPair(10);
    const { bytes } = a.sealData(fragment(1, payload(10)), { sharding: false }, 0);
    expect(b.receive(bytes, 0).kind).toBe('data');
    expect(b.receive(bytes, 0)).toEqual({ kind: 'dropped', reason: 'duplicate' });
    expect(b.receive(bytes, 0)).toEqual({ kind: 'dropped', reason: 'duplicate' });
    expect(b.counters().dropped.duplicate).toBe(2);
  });

  it('accepts reordering inside the window exactly once per packet', () => {
    const { a, b } = establishedPair(11, { replayWindow: 256 });
    const sealed = Array.from({ length: 250 }, (_, i) => a.sealData(fragment(i, payload(8)), { sharding: false }, 0).bytes);
    const order = sealed.map((_, i) => i).sort((x, y) => ((x * 7919) % 250) - ((y * 7919) % 250));
    const delivered = new Set<number>();
    for (const i of order) {
      const result = b.receive(sealed[i] as Uint8Array, 0);
      expect(result.kind).toBe('data');
      if (result.kind === 'data') delivered.add(result.fragment.messageNumber);
    }
    expect(delivered.size).toBe(250);
    for (const i of order.slice(0, 20)) expect(b.receive(sealed[i] as Uint8Array, 0)).toEqual({ kind: 'dropped', reason: 'duplicate' });
  });

  it('drops packets older than the window, and only those', () => {
    const { a, b } = establishedPair(12, { replayWindow: 64 });
    const sealed = Array.from({ length: 100 }, (_, i) => a.sealData(fragment(i, payload(8)), { sharding: false }, 0));
    const last = sealed[99] as { bytes: Uint8Array; packetNumber: number };
    expect(b.receive(last.bytes, 0).kind).toBe('data');
    for (const s of sealed.slice(0, 99)) {
      const expected = s.packetNumber <= last.packetNumber - 64 ? 'dropped' : 'data';
      const result: SessionReceive = b.receive(s.bytes, 0);
      expect(result.kind).toBe(expected);
      if (expected === 'dropped') expect(result).toEqual({ kind: 'dropped', reason: 'too_old' });
    }
    expect(b.counters().dropped.too_old).toBe(sealed.filter((s) => s.packetNumber <= last.packetNumber - 64).length);
  });

  it('a forged datagram cannot move the window', () => {
    const { a, b } = establishedPair(13, { replayWindow: 64 });
    const early = a.sealData(fragment(1, payload(8)), { sharding: false }, 0).bytes;
    const forged = a.sealData(fragment(2, payload(8)), { sharding: false }, 0).bytes.slice();
    // Claim a packet number far ahead, then break the tag: the window must not slide.
    forged[2] = 0x7f;
    expect(b.receive(forged, 0)).toEqual({ kind: 'dropped', reason: 'auth_failed' });
    expect(b.receive(early, 0).kind).toBe('data');
  });
});

describe('close', () => {
  it('a CLOSE frame closes the receiver; seals then throw and datagrams are dropped', () => {
    const { a, b } = establishedPair(14);
    const bytes = a.close(0, 'done', 0);
    expect(a.state).toBe('closed');
    expect(bytes).toBeDefined();
    const result = b.receive(bytes as Uint8Array, 0);
    expect(result).toMatchObject({ kind: 'control', frames: [{ type: 'close', code: 0, reason: 'done' }] });
    expect(b.state).toBe('closed');
    expect(() => b.sealControl([{ type: 'probe', id: 1, sendTime: 0 }], 0)).toThrow(SessionError);
    expect(b.receive(bytes as Uint8Array, 0)).toEqual({ kind: 'dropped', reason: 'closed' });
  });
});
