/**
 * One trace record. `event` is one of: sent, retransmitted, acked, lost, spurious (sender side);
 * received, duplicate, refused, invalid, late (its message missed its deadline), nacked, delivered,
 * expired (receiver side). Features are
 * what the loss predictor saw (for `nacked`); `cc` the congestion state at that moment.
 */
export interface TraceRecord {
  t: number;
  side: 'initiator' | 'responder';
  event: string;
  pn?: number;
  msg?: number;
  seq?: number;
  /** Sender side: the FIFO lane the packet took, where the host named one. */
  lane?: number;
  cause?: string;
  features?: Record<string, number | boolean>;
  p?: number;
  cc?: { srtt: number; minRtt: number; loss: number; severity: number; cwnd: number; inflight: number; pacing: number };
}

/**
 * Bounded ring of per-fragment events, exported as JSON Lines for the training pipeline. When
 * full the oldest records go first; `dropped` says how many.
 */
export class TraceRecorder {
  private readonly records: TraceRecord[] = [];
  private head = 0;
  private droppedCount = 0;

  constructor(readonly capacity: number) {}

  get enabled(): boolean {
    return this.capacity > 0;
  }

  get size(): number {
    return this.records.length;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  record(r: TraceRecord): void {
    if (this.capacity <= 0) return;
    if (this.records.length < this.capacity) {
      this.records.push(r);
      return;
    }
    this.records[this.head] = r;
    this.head = (this.head + 1) % this.capacity;
    this.droppedCount++;
  }

  /** Records in time order. */
  list(): TraceRecord[] {
    return [...this.records.slice(this.head), ...this.records.slice(0, this.head)];
  }

  toJsonl(): string {
    return this.list()
      .map((r) => JSON.stringify(r))
      .join('\n');
  }

  clear(): void {
    this.records.length = 0;
    this.head = 0;
  }
}
