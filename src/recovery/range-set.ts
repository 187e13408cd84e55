/**
 * A set of non-negative integers stored as sorted, disjoint, non-adjacent inclusive ranges.
 * Used for received packet numbers (ACK ranges), NACK lists and finished message numbers.
 * `maxRanges` bounds memory: when exceeded, the lowest ranges are forgotten, because old
 * history matters least (a hostile peer that punches holes cannot grow this without bound).
 */
export interface Range {
  start: number;
  end: number; // inclusive
}

export class RangeSet {
  private readonly ranges: Range[] = [];

  constructor(private readonly maxRanges = Number.MAX_SAFE_INTEGER) {}

  get size(): number {
    return this.ranges.length;
  }

  min(): number | undefined {
    return this.ranges[0]?.start;
  }

  max(): number | undefined {
    return this.ranges[this.ranges.length - 1]?.end;
  }

  /** Ranges in ascending order; the caller must not mutate them. */
  list(): readonly Range[] {
    return this.ranges;
  }

  /** Ranges in descending order (largest first), as ACK frames carry them. */
  descending(limit = Number.MAX_SAFE_INTEGER): Range[] {
    const out: Range[] = [];
    for (let i = this.ranges.length - 1; i >= 0 && out.length < limit; i--) {
      const r = this.ranges[i]!;
      out.push({ start: r.start, end: r.end });
    }
    return out;
  }

  contains(n: number): boolean {
    const i = this.indexAtOrBefore(n);
    if (i < 0) return false;
    return this.ranges[i]!.end >= n;
  }

  /** Adds n; returns false when it was already present. */
  insert(n: number): boolean {
    return this.insertRange(n, n) > 0;
  }

  /** Adds [start, end]; returns how many new integers were added. */
  insertRange(start: number, end: number): number {
    if (end < start) return 0;
    // Packet numbers mostly arrive in order: they extend or follow the last range, and nothing
    // before it can overlap (ranges are disjoint and non-adjacent). This path skips the search and
    // the splice, which runs for every received datagram.
    const last = this.ranges[this.ranges.length - 1];
    if (last !== undefined && start >= last.start) {
      if (start > last.end + 1) {
        this.ranges.push({ start, end });
        if (this.ranges.length > this.maxRanges) this.ranges.shift();
        return end - start + 1;
      }
      const grown = Math.max(0, end - last.end);
      if (grown > 0) last.end = end;
      return grown;
    }
    let added = end - start + 1;
    // First range that could touch or overlap [start-1, end+1].
    let i = this.indexAtOrBefore(start - 1);
    if (i < 0 || this.ranges[i]!.end < start - 1) i++;
    let newStart = start;
    let newEnd = end;
    let j = i;
    while (j < this.ranges.length && this.ranges[j]!.start <= end + 1) {
      const r = this.ranges[j]!;
      const overlapStart = Math.max(r.start, start);
      const overlapEnd = Math.min(r.end, end);
      if (overlapEnd >= overlapStart) added -= overlapEnd - overlapStart + 1;
      newStart = Math.min(newStart, r.start);
      newEnd = Math.max(newEnd, r.end);
      j++;
    }
    this.ranges.splice(i, j - i, { start: newStart, end: newEnd });
    while (this.ranges.length > this.maxRanges) this.ranges.shift();
    return added;
  }

  /** Forgets everything below n. */
  removeBelow(n: number): void {
    while (this.ranges.length > 0) {
      const r = this.ranges[0]!;
      if (r.end < n) this.ranges.shift();
      else {
        if (r.start < n) r.start = n;
        break;
      }
    }
  }

  /** Index of the last range whose start is <= n, or -1. */
  private indexAtOrBefore(n: number): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.ranges[mid]!.start <= n) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found;
  }
}
