import { chacha20, chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { poly1305 } from '@noble/ciphers/_poly1305.js';
import { AEAD_KEY_BYTES, AEAD_TAG_BYTES, checkCounter, checkKeyNonce, type PduCore } from './core.js';

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

  aeadSeal(key, nonce, aad, plaintext) {
    checkKeyNonce('aeadSeal', key, nonce);
    return chacha20poly1305(key, nonce, aad).encrypt(plaintext);
  },

  aeadOpen(key, nonce, aad, sealed) {
    checkKeyNonce('aeadOpen', key, nonce);
    if (sealed.length < AEAD_TAG_BYTES) return undefined;
    try {
      return chacha20poly1305(key, nonce, aad).decrypt(sealed);
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
