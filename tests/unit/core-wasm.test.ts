import { describe, expect, it } from 'vitest';
import { CoreMemoryError, loadWasmCore, referenceCore } from '../../src/core/index.js';

function randomBytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Index of the first differing byte, or -1: cheaper than toEqual on large arrays. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

describe('WebAssembly core in Node', () => {
  it('loads from the built file and reports itself as wasm', async () => {
    const core = await loadWasmCore();
    expect(core.kind).toBe('wasm');
  });

  it('xorInto equals the reference on edge sizes and 2,000 random inputs', async () => {
    const core = await loadWasmCore();
    const sizes = [0, 1, 15, 16, 17, 63, 64, 65, 1150, 65536];
    for (let k = 0; k < 2000; k++) sizes.push((k * 7919) % 4096);
    sizes.forEach((n, k) => {
      const dst = randomBytes(n + (k % 3), 2 * k + 1);
      const src = randomBytes(n, 2 * k + 2);
      const expected = dst.slice();
      referenceCore.xorInto(expected, src);
      const actual = dst.slice();
      core.xorInto(actual, src);
      expect(firstDifference(actual, expected), `size ${n}`).toBe(-1);
    });
  });

  it('refuses to grow linear memory past its cap', async () => {
    const core = await loadWasmCore({ maxMemoryBytes: 256 * 1024 });
    const big = new Uint8Array(512 * 1024);
    expect(() => core.xorInto(big, big)).toThrow(CoreMemoryError);
  });

  it('rejects a missing module with CoreLoadError', async () => {
    await expect(loadWasmCore({ url: new URL('file:///nonexistent/pdu-core.wasm') })).rejects.toThrow(/loading/);
  });
});
