/**
 * The byte-work interface the engine calls. Two implementations stand behind it: the
 * WebAssembly core (`loadWasmCore`) and the TypeScript reference (`referenceCore`). They must
 * produce identical output; tests check that differentially.
 */
export interface PduCore {
  readonly kind: 'wasm' | 'reference';
  /** dst[i] ^= src[i] for every i < src.length (src.length <= dst.length). */
  xorInto(dst: Uint8Array, src: Uint8Array): void;
}

/** Thrown when the WebAssembly core cannot be used; callers fall back to the reference. */
export class CoreLoadError extends Error {
  override readonly name = 'CoreLoadError';
}

/** Thrown when a call would need more linear memory than the configured cap. */
export class CoreMemoryError extends Error {
  override readonly name = 'CoreMemoryError';
}
