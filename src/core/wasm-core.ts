import {
  AEAD_KEY_BYTES,
  AEAD_TAG_BYTES,
  checkCounter,
  checkKeyNonce,
  checkOutput,
  CoreLoadError,
  CoreMemoryError,
  type PduCore,
} from './core.js';

/** The ABI this loader speaks; must equal the core's exported CORE_ABI_VERSION. */
const EXPECTED_ABI_VERSION = 2;
const PAGE_BYTES = 65536;

interface CoreExports {
  readonly memory: WebAssembly.Memory;
  readonly CORE_ABI_VERSION: WebAssembly.Global;
  xorInto(dst: number, src: number, len: number): void;
  scratchBase(): number;
  chacha20Xor(key: number, nonce: number, counter: number, src: number, dst: number, len: number): void;
  poly1305Mac(key: number, msg: number, len: number, out: number): void;
  aeadSeal(key: number, nonce: number, aad: number, aadLen: number, src: number, len: number, dst: number): void;
  aeadOpen(
    key: number,
    nonce: number,
    aad: number,
    aadLen: number,
    ct: number,
    len: number,
    tag: number,
    dst: number,
  ): number;
}

/** Rounds up to a multiple of 16, so every scratch region starts 16-byte aligned. */
const align16 = (n: number): number => (n + 15) & ~15;

/** The WebAssembly core: a PduCore that also shows its linear memory (for host budgets and tests). */
export interface WasmPduCore extends PduCore {
  readonly kind: 'wasm';
  /** The module's linear memory. Only the core writes it; read it for accounting and audits. */
  readonly memory: WebAssembly.Memory;
  /** The largest plaintext aeadSeal accepts with `aadLength` bytes of aad under the memory cap. */
  maxAeadPlaintext(aadLength: number): number;
}

export interface WasmCoreOptions {
  /** Where the .wasm lives; defaults to the file built beside the package. */
  url?: URL | string;
  /** Linear memory the core may ever use, in bytes (default 16 MiB). Growth past it throws CoreMemoryError. */
  maxMemoryBytes?: number;
}

const DEFAULT_WASM_URL = new URL('../../wasm/build/pdu-core.wasm', import.meta.url);

/**
 * Fetches the bytes where the URL says: from disk in Node (a `file:` URL, read through
 * `process.getBuiltinModule` so browser bundles never see a `node:` import), by HTTP elsewhere.
 */
async function instantiate(url: URL): Promise<WebAssembly.Instance> {
  if (url.protocol === 'file:') {
    const getBuiltin = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process
      ?.getBuiltinModule;
    if (!getBuiltin) throw new CoreLoadError('a file: URL needs Node 20.16+ (process.getBuiltinModule)');
    const fs = getBuiltin('node:fs') as typeof import('node:fs');
    const { instance } = await WebAssembly.instantiate(fs.readFileSync(url), {});
    return instance;
  }
  const response = await fetch(url);
  if (!response.ok) throw new CoreLoadError(`fetching ${url.href}: HTTP ${response.status}`);
  const isWasmMime = response.headers.get('content-type')?.startsWith('application/wasm') ?? false;
  if (isWasmMime && typeof WebAssembly.instantiateStreaming === 'function') {
    return (await WebAssembly.instantiateStreaming(response, {})).instance;
  }
  return (await WebAssembly.instantiate(await response.arrayBuffer(), {})).instance;
}

/** Loads the WebAssembly core. Rejects with CoreLoadError when it cannot be used. */
export async function loadWasmCore(options: WasmCoreOptions = {}): Promise<WasmPduCore> {
  const url = new URL(options.url ?? DEFAULT_WASM_URL, DEFAULT_WASM_URL);
  const maxMemoryBytes = options.maxMemoryBytes ?? 16 * 1024 * 1024;
  let instance: WebAssembly.Instance;
  try {
    instance = await instantiate(url);
  } catch (err) {
    if (err instanceof CoreLoadError) throw err;
    throw new CoreLoadError(`loading ${url.href}: ${(err as Error).message}`);
  }
  const core = instance.exports as unknown as CoreExports;
  const abi = core.CORE_ABI_VERSION?.value as number | undefined;
  if (abi !== EXPECTED_ABI_VERSION) {
    throw new CoreLoadError(`core ABI ${String(abi)} != expected ${EXPECTED_ABI_VERSION}: rebuild with npm run build:wasm`);
  }
  return new WasmCore(core, maxMemoryBytes);
}

/**
 * Scratch layout above scratchBase() for the AEAD and the raw ciphers:
 *   base + 0   key (32 bytes)
 *   base + 32  nonce (12 bytes, padded to 16)
 *   base + 48  aad, padded to 16
 *   then       the payload, sealed or opened in place (plus the 16-byte tag)
 * Key and nonce are zeroed after every call, and so is every plaintext the core decrypted.
 */
const KEY_OFFSET = 0;
const NONCE_OFFSET = 32;
const AAD_OFFSET = 48;

class WasmCore implements WasmPduCore {
  readonly kind = 'wasm' as const;
  private readonly base: number;
  /** View of linear memory; replaced after every grow (growing detaches the old buffer). */
  private heap: Uint8Array;
  constructor(
    private readonly core: CoreExports,
    private readonly maxMemoryBytes: number,
  ) {
    this.base = core.scratchBase();
    this.heap = new Uint8Array(core.memory.buffer);
  }

  get memory(): WebAssembly.Memory {
    return this.core.memory;
  }

  maxAeadPlaintext(aadLength: number): number {
    return Math.max(0, this.maxMemoryBytes - (this.base + AAD_OFFSET + align16(aadLength)) - AEAD_TAG_BYTES);
  }

  /** Ensures linear memory holds `bytes`, growing within the cap; returns a current view. */
  private reserve(bytes: number): Uint8Array {
    if (bytes <= this.heap.length) return this.heap;
    const memory = this.core.memory;
    if (bytes > memory.buffer.byteLength) {
      if (bytes > this.maxMemoryBytes) {
        throw new CoreMemoryError(`core needs ${bytes} B of linear memory, cap is ${this.maxMemoryBytes} B`);
      }
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
    }
    this.heap = new Uint8Array(memory.buffer);
    return this.heap;
  }

  xorInto(dst: Uint8Array, src: Uint8Array): void {
    if (src.length > dst.length) throw new RangeError('xorInto: src longer than dst');
    const len = src.length;
    // Scratch layout: dst at the base, src right after it, both 16-byte aligned for the SIMD loop.
    const dstOffset = this.base;
    const srcOffset = dstOffset + align16(len);
    const heap = this.reserve(srcOffset + len);
    heap.set(dst.subarray(0, len), dstOffset);
    heap.set(src, srcOffset);
    this.core.xorInto(dstOffset, srcOffset, len);
    dst.set(heap.subarray(dstOffset, dstOffset + len));
  }

  /** Copies key, nonce and aad into place (after reserving `end` bytes); returns the payload offset. */
  private layout(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, payloadBytes: number): number {
    const base = this.base;
    const payload = base + AAD_OFFSET + align16(aad.length);
    const heap = this.reserve(payload + payloadBytes);
    heap.set(key, base + KEY_OFFSET);
    heap.set(nonce, base + NONCE_OFFSET);
    heap.set(aad, base + AAD_OFFSET);
    return payload;
  }

  /** Zeroes the key and nonce slots. */
  private wipeKey(): void {
    this.heap.fill(0, this.base, this.base + AAD_OFFSET);
  }

  aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array, out?: Uint8Array): Uint8Array {
    checkKeyNonce('aeadSeal', key, nonce);
    checkOutput('aeadSeal', out, plaintext.length + AEAD_TAG_BYTES);
    const len = plaintext.length;
    const base = this.base;
    const payload = this.layout(key, nonce, aad, len + AEAD_TAG_BYTES);
    const heap = this.heap;
    heap.set(plaintext, payload);
    try {
      this.core.aeadSeal(base + KEY_OFFSET, base + NONCE_OFFSET, base + AAD_OFFSET, aad.length, payload, len, payload);
      const result = out ?? new Uint8Array(len + AEAD_TAG_BYTES);
      result.set(heap.subarray(payload, payload + len + AEAD_TAG_BYTES));
      return result;
    } finally {
      this.wipeKey();
    }
  }

  aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array, out?: Uint8Array): Uint8Array | undefined {
    checkKeyNonce('aeadOpen', key, nonce);
    if (sealed.length < AEAD_TAG_BYTES) return undefined;
    const len = sealed.length - AEAD_TAG_BYTES;
    checkOutput('aeadOpen', out, len);
    const base = this.base;
    const payload = this.layout(key, nonce, aad, sealed.length);
    const heap = this.heap;
    heap.set(sealed, payload);
    try {
      const ok = this.core.aeadOpen(
        base + KEY_OFFSET,
        base + NONCE_OFFSET,
        base + AAD_OFFSET,
        aad.length,
        payload,
        len,
        payload + len,
        payload,
      );
      if (ok !== 1) return undefined;
      const plaintext = heap.subarray(payload, payload + len);
      const result = out ?? new Uint8Array(len);
      result.set(plaintext);
      plaintext.fill(0);
      return result;
    } finally {
      this.wipeKey();
    }
  }

  chacha20(key: Uint8Array, nonce: Uint8Array, data: Uint8Array, counter = 0): Uint8Array {
    checkKeyNonce('chacha20', key, nonce);
    checkCounter(counter, data.length);
    const len = data.length;
    const base = this.base;
    const payload = this.layout(key, nonce, new Uint8Array(0), len);
    const heap = this.heap;
    heap.set(data, payload);
    try {
      this.core.chacha20Xor(base + KEY_OFFSET, base + NONCE_OFFSET, counter, payload, payload, len);
      const out = heap.slice(payload, payload + len);
      heap.fill(0, payload, payload + len);
      return out;
    } finally {
      this.wipeKey();
    }
  }

  poly1305(key: Uint8Array, message: Uint8Array): Uint8Array {
    if (key.length !== AEAD_KEY_BYTES) throw new RangeError(`poly1305: key must be 32 bytes, got ${key.length}`);
    const len = message.length;
    const base = this.base;
    const msg = base + AAD_OFFSET;
    const out = msg + align16(len);
    const heap = this.reserve(out + AEAD_TAG_BYTES);
    heap.set(key, base + KEY_OFFSET);
    heap.set(message, msg);
    try {
      this.core.poly1305Mac(base + KEY_OFFSET, msg, len, out);
      return heap.slice(out, out + AEAD_TAG_BYTES);
    } finally {
      this.wipeKey();
    }
  }
}
