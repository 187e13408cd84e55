// The commit/reveal handshake through SecureSession: completion under loss, duplication and
// reordering; idempotent re-sends; forged and replayed handshake datagrams; a man in the middle
// with and without a pre-shared key; fingerprint binding; version negotiation.
import fc from 'fast-check';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { SecureSession, type SessionConfig, type SessionReceive } from '../../src/crypto/index.js';
import { encodeHello, encodeReveal, encodeVersionPacket, type DecodeResult } from '../../src/wire/index.js';
import { handshake, seededRandom, sessionPair } from '../support/sessions.js';

/** Deterministic randomness: SHA-256 of (seed, counter). */
function value<T>(result: DecodeResult<T>): T {
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('handshake', () => {
  it('establishes both sides with the same SAS and transcript', () => {
    const { a, b } = sessionPair(1);
    const results = handshake(a, b);
    expect(a.state).toBe('established');
    expect(b.state).toBe('established');
    expect(a.sas).toMatch(/^[ybndrfg8ejkmcpqxot1uwisza345h769]{4}$/);
    expect(a.sas).toBe(b.sas);
    expect(a.sasFingerprint).toBe(b.sasFingerprint);
    expect(a.transcriptHash).toEqual(b.transcriptHash);
    expect(results.filter((r) => r.kind === 'established')).toHaveLength(2);
    expect(a.messageUuid('send', 5)).toBe(b.messageUuid('receive', 5));
    expect(a.messageUuid('receive', 5)).toBe(b.messageUuid('send', 5));
    expect(a.messageUuid('send', 5)).not.toBe(a.messageUuid('receive', 5));
  });

  it('hello() returns the same bytes on every call', () => {
    const { a } = sessionPair(2);
    expect(a.hello(0)).toEqual(a.hello(5000));
    expect(a.hello(0).length).toBe(70);
  });

  it('answers an identical re-sent HELLO idempotently (REVEAL, plus FINISHED once keyed)', () => {
    const { a, b } = sessionPair(3);
    const first = b.receive(a.hello(0), 0);
    expect(first).toMatchObject({ kind: 'handshake', keyed: false });
    const again = b.receive(a.hello(0), 0);
    expect(again.kind === 'handshake' && again.reply).toEqual(first.kind === 'handshake' && first.reply);
    handshake(a, b);
    const late = b.receive(a.hello(0), 0);
    expect(late.kind).toBe('handshake');
    expect(late.kind === 'handshake' && late.reply.length).toBe(2); // REVEAL + a fresh FINISHED
    expect(b.counters().handshakeDuplicates).toBeGreaterThanOrEqual(2);
    expect(b.counters().dropped.forged_handshake).toBe(0);
  });

  it('drops and counts a different HELLO once one is held, and a replayed one from another session', () => {
    const { a, b } = sessionPair(4);
    handshake(a, b);
    const other = new SecureSession({ role: 'initiator', randomBytes: seededRandom(99) });
    expect(b.receive(other.hello(0), 0)).toEqual({ kind: 'dropped', reason: 'forged_handshake' });
    const { a: earlier } = sessionPair(4000);
    expect(b.receive(earlier.hello(0), 0)).toEqual({ kind: 'dropped', reason: 'forged_handshake' });
    expect(b.state).toBe('established');
    expect(b.counters().dropped.forged_handshake).toBe(2);
  });

  it('drops a REVEAL that does not open the HELLO commitment, and still completes', () => {
    const { a, b } = sessionPair(5);
    const reply = b.receive(a.hello(0), 0);
    expect(reply.kind).toBe('handshake');
    const forged = value(encodeReveal({ role: 'initiator', publicKey: seededRandom(77)(32) }));
    expect(b.receive(forged, 0)).toEqual({ kind: 'dropped', reason: 'forged_handshake' });
    handshake(a, b);
    expect(b.state).toBe('established');
    expect(b.counters().dropped.forged_handshake).toBe(1);
  });

  it('drops a REVEAL replayed from an earlier session (it does not open the commitment)', () => {
    const { a, b } = sessionPair(6);
    const { a: oldA, b: oldB } = sessionPair(600);
    const old = oldB.receive(oldA.hello(0), 0);
    const oldReveal = old.kind === 'handshake' ? (old.reply[0] as Uint8Array) : new Uint8Array(0);
    a.receive(b.hello(0), 0);
    expect(a.receive(oldReveal, 0)).toEqual({ kind: 'dropped', reason: 'forged_handshake' });
    expect(a.state).toBe('handshaking');
  });

  it('keeps a REVEAL that overtook its HELLO and completes when the HELLO arrives', () => {
    const { a, b } = sessionPair(7);
    const aReveal = a.receive(b.hello(0), 0);
    const reveal = aReveal.kind === 'handshake' ? (aReveal.reply[0] as Uint8Array) : new Uint8Array(0);
    expect(b.receive(reveal, 0)).toEqual({ kind: 'handshake', reply: [], keyed: false });
    const onHello = b.receive(a.hello(0), 0);
    expect(onHello).toMatchObject({ kind: 'handshake', keyed: true });
    expect(onHello.kind === 'handshake' && onHello.reply.length).toBe(2); // our REVEAL + FINISHED
    expect(b.state).toBe('keyed');
  });

  it('completes under loss, duplication and reordering with timer re-sends', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.double({ min: 0, max: 0.5, noNaN: true }), (seed, loss) => {
        const { a, b } = sessionPair(seed);
        const chance = seededRandom(seed + 7);
        const roll = () => (chance(1)[0] as number) / 256;
        let inFlight: [SecureSession, Uint8Array][] = [];
        const send = (to: SecureSession, bytes: Uint8Array) => {
          if (roll() < loss) return;
          inFlight.push([to, bytes]);
          if (roll() < 0.2) inFlight.push([to, bytes]);
        };
        for (let tick = 0; tick < 200 && (a.state !== 'established' || b.state !== 'established'); tick++) {
          if (a.state !== 'established') send(b, a.hello(tick));
          if (b.state !== 'established') send(a, b.hello(tick));
          const batch = inFlight.sort(() => roll() - 0.5);
          inFlight = [];
          for (const [to, bytes] of batch) {
            const result = to.receive(bytes, tick);
            if (result.kind === 'handshake') for (const reply of result.reply) send(to === a ? b : a, reply);
          }
        }
        expect(a.state).toBe('established');
        expect(b.state).toBe('established');
        expect(a.sas).toBe(b.sas);
        expect(a.counters().dropped.forged_handshake + b.counters().dropped.forged_handshake).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('refuses sealed datagrams before keys exist', () => {
    const { a, b } = sessionPair(8);
    handshake(a, b);
    const { b: fresh } = sessionPair(9);
    const sealed = a.sealControl([{ type: 'probe', id: 1, sendTime: 0 }], 0).bytes;
    expect(fresh.receive(sealed, 0)).toEqual({ kind: 'dropped', reason: 'not_keyed' });
  });
});

describe('man in the middle of the signaling', () => {
  /** Mallory relays Alice <-> M1 and M2 <-> Bob, each leg a complete handshake. */
  function intercepted(seed: number, alice: Partial<SessionConfig>, mallory: Partial<SessionConfig>, bob: Partial<SessionConfig>) {
    const a = new SecureSession({ role: 'initiator', randomBytes: seededRandom(seed), ...alice });
    const m1 = new SecureSession({ role: 'responder', randomBytes: seededRandom(seed + 1), ...mallory });
    const m2 = new SecureSession({ role: 'initiator', randomBytes: seededRandom(seed + 2), ...mallory });
    const b = new SecureSession({ role: 'responder', randomBytes: seededRandom(seed + 3), ...bob });
    const legOne = handshake(a, m1);
    const legTwo = handshake(m2, b);
    return { a, b, m1, m2, legOne, legTwo };
  }

  it('without a PSK both legs complete, but Alice and Bob see different SASs', () => {
    for (let seed = 0; seed < 200; seed += 10) {
      const { a, b, m1, m2 } = intercepted(seed * 7, {}, {}, {});
      expect(a.state).toBe('established');
      expect(b.state).toBe('established');
      expect(a.sas).toBe(m1.sas);
      expect(b.sas).toBe(m2.sas);
      expect(a.sas).not.toBe(b.sas);
    }
  });

  it('with a PSK the MITM cannot complete: both victims fail with handshake_failed', () => {
    const psk = new Uint8Array(32).fill(42);
    const guess = new Uint8Array(32).fill(43);
    const { a, b, legOne, legTwo } = intercepted(11, { psk }, { psk: guess }, { psk });
    expect(a.state).toBe('failed');
    expect(b.state).toBe('failed');
    expect(a.failure).toBe('handshake_failed');
    expect(b.failure).toBe('handshake_failed');
    expect(legOne.some((r) => r.kind === 'failed' && r.reason === 'handshake_failed')).toBe(true);
    expect(legTwo.some((r) => r.kind === 'failed' && r.reason === 'handshake_failed')).toBe(true);
  });

  it('a MITM that swaps only the public keys in REVEAL is caught by the commitment', () => {
    const { a, b } = sessionPair(12);
    const mallory = new SecureSession({ role: 'responder', randomBytes: seededRandom(13) });
    const aHello = a.hello(0);
    const bHello = b.hello(0);
    a.receive(bHello, 0);
    const bReply = b.receive(aHello, 0);
    const bReveal = bReply.kind === 'handshake' ? (bReply.reply[0] as Uint8Array) : new Uint8Array(0);
    const mReply = mallory.receive(aHello, 0);
    const mReveal = mReply.kind === 'handshake' ? (mReply.reply[0] as Uint8Array) : new Uint8Array(0);
    expect(a.receive(mReveal, 0)).toEqual({ kind: 'dropped', reason: 'forged_handshake' });
    expect(a.receive(bReveal, 0)).toMatchObject({ kind: 'handshake', keyed: true });
  });
});

describe('configuration checks in the handshake', () => {
  it('binds matching DTLS fingerprints into the transcript', () => {
    const fpA = 'sha-256 AA:BB';
    const fpB = 'sha-256 CC:DD';
    const { a, b } = sessionPair(20, { localFingerprint: fpA, remoteFingerprint: fpB }, { localFingerprint: fpB, remoteFingerprint: fpA });
    handshake(a, b);
    expect(a.state).toBe('established');
    const { a: plainA, b: plainB } = sessionPair(20);
    handshake(plainA, plainB);
    expect(a.sas).toBe(b.sas);
    expect(a.transcriptHash).not.toEqual(plainA.transcriptHash);
  });

  it('fails when the DTLS fingerprints disagree (a relay terminating DTLS)', () => {
    const { a, b } = sessionPair(
      21,
      { localFingerprint: 'sha-256 AA:BB', remoteFingerprint: 'sha-256 EE:EE' },
      { localFingerprint: 'sha-256 CC:DD', remoteFingerprint: 'sha-256 FF:FF' },
    );
    handshake(a, b);
    expect(a.failure).toBe('handshake_failed');
    expect(b.failure).toBe('handshake_failed');
  });

  it('fails on one-sided fingerprints, one-sided PSK, differing PSKs and a role conflict', () => {
    const fp = { localFingerprint: 'sha-256 AA', remoteFingerprint: 'sha-256 BB' };
    let s = sessionPair(22, fp, {});
    handshake(s.a, s.b);
    expect([s.a.failure, s.b.failure]).toEqual(['fingerprint_mismatch', 'fingerprint_mismatch']);
    s = sessionPair(23, { psk: new Uint8Array(16) }, {});
    handshake(s.a, s.b);
    expect([s.a.failure, s.b.failure]).toEqual(['psk_mismatch', 'psk_mismatch']);
    s = sessionPair(24, { psk: new Uint8Array(16).fill(1) }, { psk: new Uint8Array(16).fill(2) });
    handshake(s.a, s.b);
    expect([s.a.failure, s.b.failure]).toEqual(['handshake_failed', 'handshake_failed']);
    const x = new SecureSession({ role: 'initiator', randomBytes: seededRandom(25) });
    const y = new SecureSession({ role: 'initiator', randomBytes: seededRandom(26) });
    expect(y.receive(x.hello(0), 0)).toEqual({ kind: 'failed', reason: 'role_conflict' });
    expect(y.receive(x.hello(0), 0)).toEqual({ kind: 'dropped', reason: 'failed' });
  });

  it('fails on a low-order public key, even behind a valid commitment', () => {
    const b = new SecureSession({ role: 'responder', randomBytes: seededRandom(27) });
    const lowOrder = new Uint8Array(32); // u = 0
    const random = new Uint8Array(32).fill(5);
    const label = new TextEncoder().encode('pdu v1 commit');
    const commitment = sha256(new Uint8Array([...label, ...random, ...lowOrder]));
    const hello = value(encodeHello({ role: 'initiator', versions: [1], psk: false, fingerprints: false, random, commitment }));
    expect(b.receive(hello, 0).kind).toBe('handshake');
    const reveal = value(encodeReveal({ role: 'initiator', publicKey: lowOrder }));
    expect(b.receive(reveal, 0)).toEqual({ kind: 'failed', reason: 'low_order_key' });
  });

  it('rejects invalid configurations at construction', () => {
    expect(() => new SecureSession({ role: 'initiator', psk: new Uint8Array(8) })).toThrow(RangeError);
    expect(() => new SecureSession({ role: 'initiator', localFingerprint: 'x' })).toThrow(RangeError);
    expect(() => new SecureSession({ role: 'initiator', replayWindow: 0 })).toThrow(RangeError);
    expect(() => new SecureSession({ role: 'observer' as 'initiator' })).toThrow(RangeError);
  });
});

describe('version negotiation', () => {
  it('answers an unknown version with a VERSION datagram, at most once a second', () => {
    const { a } = sessionPair(30);
    const v2 = new Uint8Array([0x20, 0x01, 0, 0]);
    const first = a.receive(v2, 0);
    expect(first).toMatchObject({ kind: 'dropped', reason: 'unknown_version', error: { code: 'unknown_version', version: 2 } });
    expect(first.kind === 'dropped' && first.reply).toEqual([value(encodeVersionPacket({ refusedVersion: 2, supported: [1] }))]);
    const second = a.receive(v2, 500);
    expect(second.kind === 'dropped' && second.reply).toBeUndefined();
    const third = a.receive(v2, 1000);
    expect(third.kind === 'dropped' && third.reply?.length).toBe(1);
    expect(a.counters().dropped.unknown_version).toBe(3);
  });

  it('fails when the peer refuses our version and shares none; ignores VERSION otherwise', () => {
    const { a } = sessionPair(31);
    expect(a.receive(value(encodeVersionPacket({ refusedVersion: 1, supported: [1, 2] })), 0)).toEqual({
      kind: 'dropped',
      reason: 'unexpected_version_packet',
    });
    expect(a.receive(value(encodeVersionPacket({ refusedVersion: 1, supported: [2, 3] })), 0)).toEqual({
      kind: 'failed',
      reason: 'peer_refused_version',
    });
  });

  it('fails a HELLO that lists no version in common', () => {
    const b = new SecureSession({ role: 'responder', randomBytes: seededRandom(32) });
    const hello = value(
      encodeHello({ role: 'initiator', versions: [2, 3], psk: false, fingerprints: false, random: new Uint8Array(32), commitment: new Uint8Array(32) }),
    );
    expect(b.receive(hello, 0)).toEqual({ kind: 'failed', reason: 'no_common_version' });
  });
});
