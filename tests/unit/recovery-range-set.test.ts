import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSet } from '../../src/recovery/range-set.js';

describe('RangeSet', () => {
  it('merges adjacent and overlapping inserts', () => {
    const s = new RangeSet();
    expect(s.insert(5)).toBe(true);
    expect(s.insert(5)).toBe(false);
    s.insert(7);
    expect(s.list()).toEqual([{ start: 5, end: 5 }, { start: 7, end: 7 }]);
    s.insert(6);
    expect(s.list()).toEqual([{ start: 5, end: 7 }]);
    expect(s.insertRange(0, 10)).toBe(8);
    expect(s.list()).toEqual([{ start: 0, end: 10 }]);
  });

  it('reports ranges largest first and forgets below a floor', () => {
    const s = new RangeSet();
    for (const n of [1, 2, 3, 8, 9, 20]) s.insert(n);
    expect(s.descending(2)).toEqual([{ start: 20, end: 20 }, { start: 8, end: 9 }]);
    s.removeBelow(3);
    expect(s.list()).toEqual([{ start: 3, end: 3 }, { start: 8, end: 9 }, { start: 20, end: 20 }]);
  });

  it('drops the oldest ranges beyond its cap', () => {
    const s = new RangeSet(3);
    for (let n = 0; n < 20; n += 2) s.insert(n);
    expect(s.size).toBe(3);
    expect(s.min()).toBe(14);
  });

  it('counts what each range insert adds, in any order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 12 })), { maxLength: 200 }), (inserts) => {
        const s = new RangeSet();
        const ref = new Set<number>();
        for (const [start, length] of inserts) {
          let added = 0;
          for (let n = start; n <= start + length; n++) if (!ref.has(n)) (ref.add(n), added++);
          expect(s.insertRange(start, start + length)).toBe(added);
        }
        for (let n = 0; n <= 215; n++) expect(s.contains(n)).toBe(ref.has(n));
        const list = s.list();
        for (let i = 1; i < list.length; i++) expect(list[i]!.start).toBeGreaterThan(list[i - 1]!.end + 1);
      }),
    );
  });

  it('agrees with a plain Set (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 200 }), { maxLength: 300 }), (values) => {
        const s = new RangeSet();
        const ref = new Set<number>();
        for (const v of values) {
          expect(s.insert(v)).toBe(!ref.has(v));
          ref.add(v);
        }
        for (let n = 0; n <= 200; n++) expect(s.contains(n)).toBe(ref.has(n));
        const list = s.list();
        for (let i = 1; i < list.length; i++) expect(list[i]!.start).toBeGreaterThan(list[i - 1]!.end + 1);
      }),
    );
  });
});
