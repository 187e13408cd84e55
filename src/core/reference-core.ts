import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { AEAD_KEY_BYTES, AEAD_TAG_BYTES, checkCounter, checkKeyNonce, checkOutput, type PduCore } from './core.js';

/**
 * Where noble seals for an `out` that does not start on a 4-byte boundary (a datagram's body
 * follows a header of any length): noble XORs the keystream a 32-bit word at a time only into
 * aligned output, byte by byte otherwise. It only ever holds ciphertext, which goes on the wire.
 * Larger seals than this write into `out` directly.
 */
const alignedSealScratch = new Uint8Array(4096);
/**
 * `alignedSealScratch` cut to the last sealed length: full datagrams all have one length, so one
 * view serves them instead of a new typed array per seal.
 */
let sealScratchView = alignedSealScratch.subarray(0, 0);

/**
 * The TypeScript reference of every core function: the specification the WASM core is tested
 * against, and the fallback where WebAssembly is unavailable. The AEAD is @noble/ciphers'
 * audited ChaCha20-Poly1305.
 */
export const referenceCore: PduCore = {
  kind: 'reference',
  xorInto(dst, src) {
    if (src.length > dst.length) throw new RangeError('xorInto: src longer than dst');
    for (let i = 0; i < src.length; i++) dst[i] = (dst[i] as number) ^ (src[i] as number);
  },

  aeadSeal(key, nonce, aad, plaintext, out) {
    checkKeyNonce('aeadSeal', key, nonce);
    checkOutput('aeadSeal', out, plaintext.length + AEAD_TAG_BYTES);
    const cipher = chacha20poly1305(key, nonce, aad);
    if (out === undefined || out.byteOffset % 4 === 0 || out.length > alignedSealScratch.length) {
      return cipher.encrypt(plaintext, out);
    }
    if (sealScratchView.length !== out.length) sealScratchView = alignedSealScratch.subarray(0, out.length);
    out.set(cipher.encrypt(plaintext, sealScratchView));
    return out;
  },

  aeadOpen(key, nonce, aad, sealed, out) {
    checkKeyNonce('aeadOpen', key, nonce);
    if (sealed.length < AEAD_TAG_BYTES) return undefined;
    checkOutput('aeadOpen', out, sealed.length - AEAD_TAG_BYTES);
    try {
      // noble checks the tag before it writes any plaintext.
      return chacha20poly1305(key, nonce, aad).decrypt(sealed, out);
    } catch {
      // Arguments were validated above: the only failure left is authentication.
      return undefined;
    }
  },

  chacha20(key, nonce, data, counter = 0) {
    checkKeyNonce('chacha20', key, nonce);
    checkCounter(counter, data.length);
    return chacha20(key, nonce, data, undefined, counter);
  },

  poly1305(key, message) {
    if (key.length !== AEAD_KEY_BYTES) throw new RangeError(`poly1305: key must be 32 bytes, got ${key.length}`);
    return poly1305(message, key);
  },
};
