// The per-datagram AEAD against RFC 8439's published vectors and against node:crypto's
// independent ChaCha20-Poly1305 on random inputs.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { open, packetNonce, sealInto, type AeadProvider } from '../../src/crypto/aead.js';
import { loadWasmCore, referenceCore } from '../../src/core/index.js';

// The session's AEAD runs on either provider; both must meet the vectors and node:crypto.
const providers: Array<[string, AeadProvider]> = [
  ['reference (noble)', referenceCore],
  ['WebAssembly core', await loadWasmCore()],
];

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const ZERO_IV = new Uint8Array(12);

/** Seals with our code, using packet number 0 and `nonce` as the IV, so the nonce is exactly `nonce`. */
function seal(provider: AeadProvider, key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const out = new Uint8Array(plaintext.length + 16);
  sealInto(provider, key, nonce, 0, aad, plaintext, out);
  return out;
}

function nodeSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  return new Uint8Array(Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]));
}

function nodeOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined {
  const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
  decipher.setAAD(aad, { plaintextLength: sealed.length - 16 });
  decipher.setAuthTag(sealed.subarray(sealed.length - 16));
  try {
    return new Uint8Array(Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - 16)), decipher.final()]));
  } catch {
    return undefined;
  }
}

describe.each(providers)('RFC 8439 vectors: %s', (_name, provider) => {
  it('§2.8.2 AEAD_CHACHA20_POLY1305 encryption', () => {
    const key = hex('808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f');
    const nonce = hex('070000004041424344454647');
    const aad = hex('50515253c0c1c2c3c4c5c6c7');
    const plaintext = new TextEncoder().encode(
      "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.",
    );
    const expected = hex(
      'd31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6' +
        '3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36' +
        '92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc' +
        '3ff4def08e4b7a9de576d26586cec64b6116' +
        '1ae10b594f09e26a7e902ecbd0600691',
    );
    expect(seal(provider, key, nonce, aad, plaintext)).toEqual(expected);
    expect(nodeSeal(key, nonce, aad, plaintext)).toEqual(expected);
    expect(open(provider, key, nonce, 0, aad, expected)).toEqual(plaintext);
  });

  it('§A.5 AEAD_CHACHA20_POLY1305 decryption', () => {
    const key = hex('1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0');
    const nonce = hex('000000000102030405060708');
    const aad = hex('f33388860000000000004e91');
    const sealed = hex(
      '64a0861575861af460f062c79be643bd5e805cfd345cf389f108670ac76c8cb2' +
        '4c6cfc18755d43eea09ee94e382d26b0bdb7b73c321b0100d4f03b7f355894cf' +
        '332f830e710b97ce98c8a84abd0b948114ad176e008d33bd60f982b1ff37c855' +
        '9797a06ef4f0ef61c186324e2b3506383606907b6a7c02b0f9f6157b53c867e4' +
        'b9166c767b804d46a59b5216cde7a4e99040c5a40433225ee282a1b0a06c523e' +
        'af4534d7f83fa1155b0047718cbc546a0d072b04b3564eea1b422273f548271a' +
        '0bb2316053fa76991955ebd63159434ecebb4e466dae5a1073a6727627097a10' +
        '49e617d91d361094fa68f0ff77987130305beaba2eda04df997b714d6c6f2c29' +
        'a6ad5cb4022b02709b' +
        'eead9d67890cbb22392336fea1851f38',
    );
    const plaintext = open(provider, key, nonce, 0, aad, sealed);
    expect(new TextDecoder().decode(plaintext)).toBe(
      'Internet-Drafts are draft documents valid for a maximum of six months and may be updated, replaced, ' +
        'or obsoleted by other documents at any time. It is inappropriate to use Internet-Drafts as reference ' +
        'material or to cite them other than as /\u201cwork in progress./\u201d',
    );
    expect(nodeOpen(key, nonce, aad, sealed)).toEqual(plaintext);
  });
});

describe.each(providers)('against node:crypto on random inputs: %s', (_name, provider) => {
  it('seals identically and each opens the other', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.integer({ min: 0, max: 2 ** 48 }),
        fc.uint8Array({ maxLength: 40 }),
        fc.uint8Array({ maxLength: 1200 }),
        (key, iv, packetNumber, aad, plaintext) => {
          const nonce = packetNonce(iv, packetNumber);
          const ours = new Uint8Array(plaintext.length + 16);
          sealInto(provider, key, iv, packetNumber, aad, plaintext, ours);
          expect(ours).toEqual(nodeSeal(key, nonce, aad, plaintext));
          expect(open(provider, key, iv, packetNumber, aad, ours)).toEqual(plaintext);
          expect(nodeOpen(key, nonce, aad, ours)).toEqual(plaintext);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects what node:crypto rejects: any flipped bit, wrong AAD, wrong nonce', () => {
    const key = new Uint8Array(randomBytes(32));
    const iv = new Uint8Array(randomBytes(12));
    const aad = new Uint8Array(randomBytes(13));
    const plaintext = new Uint8Array(randomBytes(100));
    const sealed = new Uint8Array(116);
    sealInto(provider, key, iv, 9, aad, plaintext, sealed);
    for (let bit = 0; bit < sealed.length * 8; bit += 7) {
      const tampered = sealed.slice();
      tampered[bit >> 3] = (tampered[bit >> 3] as number) ^ (1 << (bit & 7));
      expect(open(provider, key, iv, 9, aad, tampered)).toBeUndefined();
      expect(nodeOpen(key, packetNonce(iv, 9), aad, tampered)).toBeUndefined();
    }
    expect(open(provider, key, iv, 10, aad, sealed)).toBeUndefined();
    expect(open(provider, key, iv, 9, aad.subarray(1), sealed)).toBeUndefined();
    expect(open(provider, key, iv, 9, aad, sealed.subarray(0, 15))).toBeUndefined();
  });
});

describe('nonce construction', () => {
  it('is IV XOR (0^4 || u64be(packet number))', () => {
    const iv = hex('000102030405060708090a0b');
    expect(packetNonce(iv, 0)).toEqual(iv);
    expect(packetNonce(ZERO_IV, 0x0102030405)).toEqual(hex('00000000 0000000102030405'));
    expect(packetNonce(iv, 2 ** 48)).toEqual(hex('00010203 0404060708090a0b'));
  });

  it('is distinct for distinct packet numbers', () => {
    const iv = new Uint8Array(randomBytes(12));
    const seen = new Set<string>();
    for (let pn = 0; pn < 5000; pn++) seen.add(Buffer.from(packetNonce(iv, pn * 104729)).toString('hex'));
    expect(seen.size).toBe(5000);
  });
});
