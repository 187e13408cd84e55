import { describe, expect, it } from 'vitest';
import { bundleSize, encodeBundle, isBundle, splitBundle } from '../../src/host/datagram-bundle.js';
import { decodePrefix } from '../../src/wire/prefix.js';

const bytes = (...xs: number[]) => new Uint8Array(xs);
const split = (b: Uint8Array) => {
  const out: number[][] = [];
  const n = splitBundle(b, (d) => out.push([...d]));
  return { n, out };
};

describe('datagram bundles', () => {
  it('round-trips datagrams as views into the bundle', () => {
    const parts = [bytes(0x10, 0x03, 1, 2, 3), bytes(0x10, 0x04), new Uint8Array(1150).fill(7)];
    const bundle = encodeBundle(parts);
    expect(bundle.length).toBe(bundleSize(parts));
    expect(bundle.length).toBe(2 + 3 * 2 + 5 + 2 + 1150);
    expect([...bundle.subarray(0, 4)]).toEqual([0x10, 0x06, 0x00, 0x05]);
    expect(isBundle(bundle)).toBe(true);
    const views: Uint8Array[] = [];
    expect(splitBundle(bundle, (d) => views.push(d))).toBe(3);
    expect(views.map((v) => [...v])).toEqual(parts.map((p) => [...p]));
    expect(views.every((v) => v.buffer === bundle.buffer)).toBe(true);
  });

  it('is not a PDU datagram: a peer without bundles drops it as an unknown type', () => {
    const bundle = encodeBundle([bytes(0x10, 0x03, 0)]);
    const prefix = decodePrefix(bundle);
    expect(prefix.ok).toBe(false);
    if (!prefix.ok) expect(prefix.error.code).toBe('unknown_type');
    expect(isBundle(bytes(0x10, 0x03, 0x06))).toBe(false);
    expect(isBundle(bytes(0x10))).toBe(false);
  });

  it('keeps what parses and stops at a truncated or impossible entry', () => {
    const whole = encodeBundle([bytes(1, 2, 3), bytes(4, 5)]);
    expect(split(whole.subarray(0, whole.length - 1))).toEqual({ n: 1, out: [[1, 2, 3]] });
    // Length 1 is below any datagram: the rest is dropped.
    expect(split(bytes(0x10, 0x06, 0, 2, 9, 9, 0, 1, 7))).toEqual({ n: 1, out: [[9, 9]] });
    // A lone trailing byte is ignored.
    expect(split(bytes(0x10, 0x06, 0, 2, 9, 9, 0))).toEqual({ n: 1, out: [[9, 9]] });
    expect(split(bytes(0x10, 0x06)).n).toBe(-1);
    expect(split(bytes(0x10, 0x06, 0xff, 0xff, 1)).n).toBe(-1);
  });

  it('skips a bundle nested in a bundle', () => {
    const inner = encodeBundle([bytes(1, 1)]);
    expect(split(encodeBundle([inner, bytes(2, 2)]))).toEqual({ n: 1, out: [[2, 2]] });
    expect(split(encodeBundle([inner])).n).toBe(-1);
  });

  it('refuses entries that do not fit a u16 length', () => {
    expect(() => encodeBundle([new Uint8Array(65_536)])).toThrow(RangeError);
    expect(() => encodeBundle([bytes(1)])).toThrow(RangeError);
  });
});
