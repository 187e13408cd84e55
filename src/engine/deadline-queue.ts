/** Binary min-heap of (time, item): the next message deadline without scanning every message. */
export class DeadlineQueue<T> {
  private readonly heap: { time: number; item: T }[] = [];

  get size(): number {
    return this.heap.length;
  }

  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  push(time: number, item: T): void {
    const h = this.heap;
    h.push({ time, item });
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.time <= h[i]!.time) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  /** Removes and returns the earliest item if its time is <= now. */
  popDue(now: number): T | undefined {
    const h = this.heap;
    if (h.length === 0 || h[0]!.time > now) return undefined;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]!.time < h[m]!.time) m = l;
        if (r < h.length && h[r]!.time < h[m]!.time) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top.item;
  }
}
