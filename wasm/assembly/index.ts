// The PDU WebAssembly core. Byte work the engine hands over lives here; the
// TypeScript reference in src/core implements the same functions so the two can
// be tested against each other and the engine can run without WebAssembly.

export { chacha20Xor, poly1305Mac, aeadSeal, aeadOpen } from './chacha20poly1305';

/** Bumped whenever an export changes meaning, so a stale .wasm is detected at load. */
export const CORE_ABI_VERSION: i32 = 2;

/**
 * dst[i] ^= src[i] for i < len: the parity step of XOR forward error correction.
 * 16 bytes at a time with SIMD, then the tail byte by byte.
 */
export function xorInto(dst: usize, src: usize, len: usize): void {
  let i: usize = 0;
  const vectorEnd = len & ~(<usize>15);
  for (; i < vectorEnd; i += 16) {
    v128.store(dst + i, v128.xor(v128.load(dst + i), v128.load(src + i)));
  }
  for (; i < len; i++) {
    store<u8>(dst + i, load<u8>(dst + i) ^ load<u8>(src + i));
  }
}

/**
 * First 16-byte-aligned address past the core's static data: the loader lays out its scratch
 * buffers from here, so they never overwrite anything the compiler placed in memory.
 */
export function scratchBase(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}
