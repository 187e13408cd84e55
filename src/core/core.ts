/**
 * The byte-work interface the engine calls. Two implementations stand behind it: the
 * WebAssembly core (`loadWasmCore`) and the TypeScript reference (`referenceCore`). They must
 * produce identical output; tests check that differentially.
 */
export interface PduCore {
  readonly kind: 'wasm' | 'reference';
  /** dst[i] ^= src[i] for every i < src.length (src.length <= dst.length). */
  xorInto(dst: Uint8Array, src: Uint8Array): void;

  /**
   * ChaCha20-Poly1305 AEAD seal (RFC 8439 section 2.8): returns ciphertext || 16-byte tag, in a
   * new buffer or, when `out` is given (exactly plaintext.length + 16 bytes), written into `out`,
   * which is returned: the session seals straight into the datagram it sends. Throws RangeError
   * unless key is 32 bytes, nonce 12 bytes and `out` (if any) of that length; the WASM core throws
   * CoreMemoryError when the call would need linear memory past its cap.
   */
  aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out?: Uint8Array): Uint8Array;
  /**
   * ChaCha20-Poly1305 AEAD open: the plaintext, in a new buffer or, when `out` is given (exactly
   * sealed.length - 16 bytes), written into `out`, which is returned. Undefined when `sealed` is
   * shorter than a tag or does not authenticate (never throws for a bad tag); `out` is then left
   * as it was. Throws RangeError on a wrong key or nonce length, or an `out` of the wrong length.
   */
  aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, out?: Uint8Array): Uint8Array | undefined;
  /**
   * Raw ChaCha20 (RFC 8439 section 2.4): data XOR the keystream from block `counter` (32-bit,
   * default 0). Throws RangeError on a wrong key/nonce length, a counter outside [0, 2^32 - 2], or
   * data that would need block 2^32 - 1 or beyond (noble's no-wrap policy).
   */
  chacha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, counter?: number): Uint8Array;
  /** Raw Poly1305 (RFC 8439 section 2.5): the 16-byte tag of message under a 32-byte one-time key. */
  poly1305(key: Uint8Array, message: Uint8Array): Uint8Array;
}

export const AEAD_KEY_BYTES = 32;
export const AEAD_NONCE_BYTES = 12;
export const AEAD_TAG_BYTES = 16;
/** The last ChaCha20 block counter a call may use: noble throws rather than reach 2^32 - 1. */
const MAX_BLOCK_COUNTER = 2 ** 32 - 2;

/** Throws RangeError unless key and nonce have the AEAD's lengths. */
export function checkKeyNonce(op: string, key: Uint8Array, nonce: Uint8Array): void {
  if (key.length !== AEAD_KEY_BYTES) throw new RangeError(`${op}: key must be 32 bytes, got ${key.length}`);
  if (nonce.length !== AEAD_NONCE_BYTES) throw new RangeError(`${op}: nonce must be 12 bytes, got ${nonce.length}`);
}

/** Throws RangeError unless `out` is absent or exactly `length` bytes. */
export function checkOutput(op: string, out: Uint8Array | undefined, length: number): void {
  if (out !== undefined && out.length !== length) throw new RangeError(`${op}: out must be ${length} bytes, got ${out.length}`);
}

/** Throws RangeError unless every block counter the call uses lies in [0, 2^32 - 2]. */
export function checkCounter(counter: number, dataLength: number): void {
  if (!Number.isInteger(counter) || counter < 0 || counter > MAX_BLOCK_COUNTER) {
    throw new RangeError(`chacha20: counter must be an integer in [0, 2^32 - 2], got ${counter}`);
  }
  const lastBlock = counter + Math.max(0, Math.ceil(dataLength / 64) - 1);
  if (lastBlock > MAX_BLOCK_COUNTER) throw new RangeError('chacha20: the 32-bit block counter would wrap');
}

/** Thrown when the WebAssembly core cannot be used; callers fall back to the reference. */
export class CoreLoadError extends Error {
  override readonly name = 'CoreLoadError';
}

/** Thrown when a call would need more linear memory than the configured cap. */
export class CoreMemoryError extends Error {
  override readonly name = 'CoreMemoryError';
}
