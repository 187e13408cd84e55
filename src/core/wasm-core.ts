import { CoreLoadError, CoreMemoryError, type PduCore } from './core.js';

/** The ABI this loader speaks; must equal the core's exported CORE_ABI_VERSION. */
const EXPECTED_ABI_VERSION = 1;
const PAGE_BYTES = 65536;

interface CoreExports {
  readonly memory: WebAssembly.Memory;
  readonly CORE_ABI_VERSION: WebAssembly.Global;
  xorInto(dst: number, src: number, len: number): void;
  scratchBase(): number;
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
export async function loadWasmCore(options: WasmCoreOptions = {}): Promise<PduCore> {
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

class WasmCore implements PduCore {
  readonly kind = 'wasm' as const;
  private readonly base: number;
  constructor(
    private readonly core: CoreExports,
    private readonly maxMemoryBytes: number,
  ) {
    this.base = core.scratchBase();
  }

  /** Ensures linear memory holds `bytes`, growing within the cap; returns a fresh view. */
  private reserve(bytes: number): Uint8Array {
    const memory = this.core.memory;
    if (bytes > memory.buffer.byteLength) {
      if (bytes > this.maxMemoryBytes) {
        throw new CoreMemoryError(`core needs ${bytes} B of linear memory, cap is ${this.maxMemoryBytes} B`);
      }
      memory.grow(Math.ceil((bytes - memory.buffer.byteLength) / PAGE_BYTES));
    }
    return new Uint8Array(memory.buffer);
  }

  xorInto(dst: Uint8Array, src: Uint8Array): void {
    if (src.length > dst.length) throw new RangeError('xorInto: src longer than dst');
    const len = src.length;
    // Scratch layout: dst at the base, src right after it, both 16-byte aligned for the SIMD loop.
    const dstOffset = this.base;
    const srcOffset = dstOffset + ((len + 15) & ~15);
    const heap = this.reserve(srcOffset + len);
    heap.set(dst.subarray(0, len), dstOffset);
    heap.set(src, srcOffset);
    this.core.xorInto(dstOffset, srcOffset, len);
    dst.set(heap.subarray(dstOffset, dstOffset + len));
  }
}
