// Message workloads shared by the Node and browser tests (the browser loads this file through
// the Vite dev server). Contents are derived from the message index, so a receiver checks every
// byte without keeping a copy.
import { Rng } from '../../src/transport/rng.js';

/** CONTRACTS.md "Mixed sizes (100 B to 1 MiB)": 80% 100 B-2 KiB, 15% 2-64 KiB, 5% 64 KiB-1 MiB. */
export function mixedSizes(count: number, seed: number): number[] {
  const rng = new Rng(seed);
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    const bucket = rng.next();
    if (bucket < 0.8) sizes.push(rng.int(2048 - 100 + 1) + 100);
    else if (bucket < 0.95) sizes.push(rng.int(65536 - 2048 + 1) + 2048);
    else sizes.push(rng.int(1048576 - 65536 + 1) + 65536);
  }
  return sizes;
}

/** Message `index` of `size` bytes (size >= 4): the index, then a xorshift stream seeded by it. */
export function messageBytes(index: number, size: number): Uint8Array {
  const out = new Uint8Array(size);
  new DataView(out.buffer).setUint32(0, index);
  let x = (index * 2654435761) >>> 0 || 1;
  for (let i = 4; i < size; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** The index a message claims, or -1 when its bytes are not exactly what messageBytes made. */
export function verifyMessage(data: Uint8Array, expectedSize: (index: number) => number | undefined): number {
  if (data.length < 4) return -1;
  const index = new DataView(data.buffer, data.byteOffset, data.byteLength).getUint32(0);
  if (expectedSize(index) !== data.length) return -1;
  const expected = messageBytes(index, data.length);
  for (let i = 0; i < data.length; i++) if (data[i] !== expected[i]) return -1;
  return index;
}
