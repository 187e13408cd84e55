/**
 * ChaCha20-Poly1305 (RFC 8439) per datagram. The nonce is the epoch's 12-byte IV XOR the 64-bit
 * big-endian packet number in its last 8 bytes (as in TLS 1.3 and QUIC): packet numbers never
 * repeat in a direction, so neither does a nonce under any key.
 */
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { TAG_LENGTH } from '../wire/constants.js';

/** iv XOR (0^4 || u64be(packetNumber)). `packetNumber` is a safe integer. */
export function packetNonce(iv: Uint8Array, packetNumber: number): Uint8Array {
  const nonce = iv.slice();
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

/** Encrypts `plaintext` into `out` (exactly plaintext.length + 16 bytes): ciphertext || tag. */
export function sealInto(
  key: Uint8Array,
  iv: Uint8Array,
  packetNumber: number,
  aad: Uint8Array,
  plaintext: Uint8Array,
  out: Uint8Array,
): void {
  const cipher = chacha20poly1305(key, packetNonce(iv, packetNumber), aad);
  // noble XORs a word at a time only on 4-byte aligned buffers, and a DATA body usually starts at
  // an odd offset: sealing into a fresh buffer and copying is then faster than sealing in place.
  if (out.byteOffset % 4 === 0) cipher.encrypt(plaintext, out);
  else out.set(cipher.encrypt(plaintext));
}

/**
 * Authenticates and decrypts `sealed` (ciphertext || tag). Returns the plaintext (a fresh buffer
 * of sealed.length - 16 bytes), or undefined when the tag does not verify. Never throws.
 */
export function open(
  key: Uint8Array,
  iv: Uint8Array,
  packetNumber: number,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array | undefined {
  if (sealed.length < TAG_LENGTH) return undefined;
  try {
    return chacha20poly1305(key, packetNonce(iv, packetNumber), aad).decrypt(sealed);
  } catch {
    // noble signals a bad tag by throwing; the tag compare inside it is constant-time.
    return undefined;
  }
}
