import { describe, expect, it } from 'vitest';
import { DatagramPool } from '../../src/wire/datagram-pool.js';

describe('DatagramPool', () => {
  it('writes a later datagram into a full-size buffer given back, of any smaller length', () => {
    const pool = new DatagramPool(1150);
    const first = pool.take(1150);
    expect(pool.give(first)).toBe(true);
    const small = pool.take(40);
    expect(small.buffer).toBe(first.buffer);
    expect(small.length).toBe(40);
    expect(pool.give(small)).toBe(true);
    expect(pool.take(1150).buffer).toBe(first.buffer);
    // Empty again: a fresh buffer of the exact length.
    const fresh = pool.take(300);
    expect(fresh.buffer).not.toBe(first.buffer);
    expect(fresh.buffer.byteLength).toBe(300);
  });

  it('ignores a second give, foreign buffers, short buffers and detached ones', () => {
    const pool = new DatagramPool(64);
    const d = pool.take(64);
    expect(pool.give(d)).toBe(true);
    expect(pool.give(d)).toBe(false);
    expect(pool.size).toBe(1);
    expect(pool.give(new Uint8Array(64))).toBe(false);
    const moved = pool.take(64);
    expect(pool.size).toBe(0);
    // A short datagram on a buffer of its own cannot hold a full one later.
    expect(pool.give(pool.take(10))).toBe(false);
    // Transferred to another thread: detached, nothing left to reuse.
    structuredClone(moved.buffer, { transfer: [moved.buffer] });
    expect(moved.buffer.byteLength).toBe(0);
    expect(pool.give(moved)).toBe(false);
    expect(pool.size).toBe(0);
  });

  it('keeps at most `capacity` buffers, so memory stays bounded whatever comes back', () => {
    const pool = new DatagramPool(32, 3);
    const out = Array.from({ length: 10 }, () => pool.take(32));
    expect(out.map((d) => pool.give(d))).toEqual([true, true, true, false, false, false, false, false, false, false]);
    expect(pool.size).toBe(3);
    // Two datagrams taken at once never share memory.
    const [x, y] = [pool.take(32), pool.take(32)];
    expect(x.buffer).not.toBe(y.buffer);
  });
});
