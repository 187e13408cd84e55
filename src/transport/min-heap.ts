/**
 * Binary min-heap keyed by (time, insertion order), so that equal times pop in FIFO order.
 * That tie-break is what makes simulated runs deterministic.
 */
export class TimeHeap<T> {
  private readonly times: number[] = [];
  private readonly orders: number[] = [];
  private readonly items: T[] = [];
  private inserted = 0;

  get size(): number {
    return this.items.length;
  }

  peekTime(): number | undefined {
    return this.times[0];
  }

  push(time: number, item: T): void {
    this.times.push(time);
    this.orders.push(this.inserted++);
    this.items.push(item);
    this.up(this.items.length - 1);
  }

  /** Removes and returns the earliest item if its time is <= `until`. */
  popDue(until: number): T | undefined {
    const first = this.times[0];
    if (first === undefined || first > until) return undefined;
    const top = this.items[0] as T;
    const lastIndex = this.items.length - 1;
    this.move(lastIndex, 0);
    this.times.pop();
    this.orders.pop();
    this.items.pop();
    if (this.items.length > 0) this.down(0);
    return top;
  }

  private less(i: number, j: number): boolean {
    const ti = this.times[i] as number;
    const tj = this.times[j] as number;
    return ti < tj || (ti === tj && (this.orders[i] as number) < (this.orders[j] as number));
  }

  private move(from: number, to: number): void {
    this.times[to] = this.times[from] as number;
    this.orders[to] = this.orders[from] as number;
    this.items[to] = this.items[from] as T;
  }

  private swap(i: number, j: number): void {
    const t = this.times[i] as number;
    const o = this.orders[i] as number;
    const it = this.items[i] as T;
    this.move(j, i);
    this.times[j] = t;
    this.orders[j] = o;
    this.items[j] = it;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < n && this.less(l, smallest)) smallest = l;
      if (r < n && this.less(r, smallest)) smallest = r;
      if (smallest === i) return;
      this.swap(i, smallest);
      i = smallest;
    }
  }
}
