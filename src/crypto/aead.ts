/**
 * ChaCha20-Poly1305 (RFC 8439) per datagram. The nonce is the epoch's 12-byte IV XOR the 64-bit
 * big-endian packet number in its last 8 bytes (as in TLS 1.3 and QUIC): packet numbers never
 * repeat in a direction, so neither does a nonce under any key.
 */
import type { PduCore } from '../core/core.js';
import { TAG_LENGTH } from '../wire/constants.js';

/**
 * Who runs the cipher: the WebAssembly core, or the TypeScript reference (@noble/ciphers).
 * Both are byte-identical (tests/unit/core-aead.test.ts).
 */
export type AeadProvider = Pick<PduCore, 'aeadSeal' | 'aeadOpen'>;

/**
 * iv XOR (0^4 || u64be(packetNumber)), written into `nonce` (12 bytes; a new buffer by default).
 * `packetNumber` is a safe integer.
 */
export function packetNonce(iv: Uint8Array, packetNumber: number, nonce = new Uint8Array(12)): Uint8Array {
  nonce.set(iv);
  let high = Math.floor(packetNumber / 2 ** 32);
  let low = packetNumber >>> 0;
  for (let i = 11; i >= 8; i--) {
    nonce[i] = (nonce[i] as number) ^ (low & 0xff);
    low >>>= 8;
  }
  for (let i = 7; i >= 4; i--) {
    nonce[i] = (nonce[i] as number) ^ (high & 0xff);
    high >>>= 8;
  }
  return nonce;
}

/**
 * The nonce of the packet being sealed or opened, rewritten for each packet instead of allocated:
 * the AEAD reads it only during the call (noble's cipher object is dropped when the call returns,
 * the WASM core copies it into linear memory). Its value is still unique per packet number.
 */
const nonceScratch = new Uint8Array(12);

/** Encrypts `plaintext` into `out` (exactly plaintext.length + 16 bytes): ciphertext || tag. */
export function sealInto(
  aead: AeadProvider,
  key: Uint8Array,
  iv: Uint8Array,
  packetNumber: number,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
): void {
  aead.aeadSeal(key, packetNonce(iv, packetNumber, nonceScratch), aad, plaintext, out);
}

/**
 * Authenticates and decrypts `sealed` (ciphertext || tag). Returns the plaintext of
 * sealed.length - 16 bytes (in `out` when given, of exactly that length, else in a fresh buffer),
 * or undefined when the tag does not verify, `out` then untouched. Never throws on peer input.
 */
export function open(
  aead: AeadProvider,
  key: Uint8Array,
  iv: Uint8Array,
  packetNumber: number,
  aad: Uint8Array,
  sealed: Uint8Array,
  out?: Uint8Array,
): Uint8Array | undefined {
  if (sealed.length < TAG_LENGTH) return undefined;
  // Both providers compare the tag in constant time and return undefined when it fails.
  return aead.aeadOpen(key, packetNonce(iv, packetNumber, nonceScratch), aad, sealed, out);
}
