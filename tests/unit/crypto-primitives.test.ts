// Building blocks of the session: HKDF use, key schedule, replay window, SAS rendering, message
// UUIDs, transcript normalisation and the constant-time compare.
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { constantTimeEqual } from '../../src/crypto/constant-time.js';
import { deriveHandshakeSecrets, epochKeys, nextEpochKeys } from '../../src/crypto/key-schedule.js';
import { MessageUuids, messageUuid } from '../../src/crypto/message-uuid.js';
import { ReplayWindow } from '../../src/crypto/replay-window.js';
import { sasFingerprint, shortAuthenticationString, zBase32 } from '../../src/crypto/sas.js';
import { normalizeFingerprint, transcriptBytes } from '../../src/crypto/transcript.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const filled = (n: number, byte: number) => new Uint8Array(n).fill(byte);

describe('HKDF-SHA256 as the key schedule calls it (RFC 5869 test case 1)', () => {
  it('extract then expand gives the published OKM', () => {
    const prk = extract(sha256, filled(22, 0x0b), hex('000102030405060708090a0b0c'));
    expect(toHex(prk)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(toHex(expand(sha256, prk, hex('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
  });
});

describe('key schedule', () => {
  const shared = filled(32, 1);
  const hash = filled(32, 2);

  it('gives every purpose and direction its own key', () => {
    const s = deriveHandshakeSecrets(shared, undefined, hash);
    const all = [s.i2r, s.r2i, s.finishedI, s.finishedR, s.sas, s.uuid].map(toHex);
    expect(new Set(all).size).toBe(all.length);
    const e0 = epochKeys(s.i2r, 0);
    const e1 = nextEpochKeys(e0);
    expect(e1.epoch).toBe(1);
    expect(toHex(e1.key)).not.toBe(toHex(e0.key));
    expect(e0.iv.length).toBe(12);
    expect(toHex(nextEpochKeys(epochKeys(s.i2r, 0)).key)).toBe(toHex(e1.key));
  });

  it('binds the transcript hash and the PSK', () => {
    const base = toHex(deriveHandshakeSecrets(shared, undefined, hash).i2r);
    expect(toHex(deriveHandshakeSecrets(shared, undefined, filled(32, 3)).i2r)).not.toBe(base);
    expect(toHex(deriveHandshakeSecrets(shared, filled(16, 9), hash).i2r)).not.toBe(base);
    expect(toHex(deriveHandshakeSecrets(shared, undefined, hash).i2r)).toBe(base);
  });
});

describe('replay window', () => {
  it('accepts fresh, drops duplicates and packets older than the window', () => {
    const w = new ReplayWindow(64);
    expect(w.check(0)).toBe('fresh');
    w.accept(0);
    expect(w.check(0)).toBe('duplicate');
    w.accept(100);
    expect(w.check(36)).toBe('too_old');
    expect(w.check(37)).toBe('fresh');
    expect(w.check(99)).toBe('fresh');
    w.accept(99);
    expect(w.check(99)).toBe('duplicate');
    expect(w.check(100)).toBe('duplicate');
    expect(w.largest).toBe(100);
  });

  it('rounds its size up to a multiple of 32', () => {
    expect(new ReplayWindow(1000).size).toBe(1024);
    expect(new ReplayWindow(1).size).toBe(32);
  });

  it('matches a model (a set of accepted numbers) on random traffic', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(3000), { maxLength: 400 }), (numbers) => {
        const w = new ReplayWindow(128);
        const accepted = new Set<number>();
        let largest = -1;
        for (const pn of numbers) {
          const expected = pn <= largest - 128 ? 'too_old' : accepted.has(pn) ? 'duplicate' : 'fresh';
          expect(w.check(pn)).toBe(expected);
          if (expected === 'fresh') {
            w.accept(pn);
            accepted.add(pn);
            largest = Math.max(largest, pn);
          }
        }
      }),
    );
  });
});

describe('short authentication string', () => {
  it('renders z-base-32 as ZRTP does', () => {
    expect(zBase32(hex('f0bfc7'), 5)).toBe('6n9hq');
    expect(shortAuthenticationString(filled(32, 0))).toBe('yyyy');
    expect(shortAuthenticationString(filled(32, 0xff))).toBe('9999');
    expect(sasFingerprint(filled(32, 0))).toBe('yyyy yyyy yyyy yyyy yyyy');
  });

  it('uses the leftmost 20 bits only', () => {
    const a = filled(32, 0);
    const b = filled(32, 0);
    b[2] = 0x0f;
    expect(shortAuthenticationString(a)).toBe(shortAuthenticationString(b));
    b[2] = 0x10;
    expect(shortAuthenticationString(a)).not.toBe(shortAuthenticationString(b));
  });
});

describe('message UUIDs', () => {
  it('are RFC 9562 version-8 UUIDs, stable and distinct per direction and number', () => {
    const key = filled(32, 7);
    const uuid = messageUuid(key, 0, 42);
    expect(uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(messageUuid(key, 0, 42)).toBe(uuid);
    const seen = new Set<string>();
    for (let n = 0; n < 1000; n++) {
      seen.add(messageUuid(key, 0, n));
      seen.add(messageUuid(key, 1, n));
    }
    expect(seen.size).toBe(2000);
    expect(messageUuid(filled(32, 8), 0, 42)).not.toBe(uuid);
  });

  it('are the first 16 bytes of HMAC-SHA256(key, direction || u32be(number)), and the cache agrees', () => {
    const key = filled(32, 7);
    const uuids = new MessageUuids(key);
    for (const [direction, n] of [[0, 0], [1, 42], [0, 0x01020304], [1, 2 ** 30 - 1]] as const) {
      const mac = hmac(sha256, key, Uint8Array.of(direction, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff));
      mac[6] = (mac[6]! & 0x0f) | 0x80;
      mac[8] = (mac[8]! & 0x3f) | 0x80;
      const hex = Array.from(mac.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join('');
      const expected = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
      expect(messageUuid(key, direction, n)).toBe(expected);
      expect(uuids.get(direction, n)).toBe(expected);
      expect(uuids.get(direction, n)).toBe(expected);
    }
  });
});

describe('transcript', () => {
  it('normalises DTLS fingerprints from SDP', () => {
    const text = (s: string) => new TextDecoder().decode(normalizeFingerprint(s));
    expect(text('a=fingerprint:SHA-256 ab:cd:EF')).toBe('sha-256 AB:CD:EF');
    expect(text('  sha-256   AB:CD:ef ')).toBe('sha-256 AB:CD:EF');
  });

  it('length-prefixes every part so concatenations cannot collide', () => {
    const parts = (a: string, b: string) => ({
      initiatorHello: hex(a),
      responderHello: hex(b),
      initiatorReveal: new Uint8Array(0),
      responderReveal: new Uint8Array(0),
      initiatorFingerprint: new Uint8Array(0),
      responderFingerprint: new Uint8Array(0),
    });
    expect(toHex(transcriptBytes(parts('0102', '03')))).not.toBe(toHex(transcriptBytes(parts('01', '0203'))));
    expect(toHex(transcriptBytes(parts('01', '02')))).toBe('000101' + '000102' + '0000'.repeat(4));
  });
});

describe('constant-time compare', () => {
  it('compares bytes', () => {
    expect(constantTimeEqual(hex('0102'), hex('0102'))).toBe(true);
    expect(constantTimeEqual(hex('0102'), hex('0103'))).toBe(false);
    expect(constantTimeEqual(hex('0102'), hex('01'))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});
