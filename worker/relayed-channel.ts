import type { CongestionSample } from '../src/congestion/congestion-report.js';
import type { DatagramChannel } from '../src/transport/datachannel.js';

/**
 * The worker's view of a data channel that stays on the host thread: datagrams go out in batches
 * through `flush`, and the host reports the channel's queue. Between two reports the bytes this
 * side has posted count as queued, so the worker never overshoots the high-water mark while a
 * report is in transit.
 */
export class RelayedChannel implements DatagramChannel {
  readonly label = 'pdu';
  open = true;
  private reportedQueue = 0;
  private postedSinceReport = 0;
  private outgoing: Uint8Array[] = [];
  private datagramHandler: (d: Uint8Array) => void = () => undefined;
  private readonly writableHandlers: Array<() => void> = [];
  private readonly closeHandlers: Array<() => void> = [];
  private latestSample: CongestionSample = {};
  private lowWaterBytes: number;

  constructor(
    /** The host's channel may move its mark (werift's follows its SCTP window): see updateState. */
    public highWaterBytes: number,
    /** Called when the first datagram of a batch is queued, so the owner schedules a flush. */
    private readonly wantFlush: () => void,
  ) {
    this.lowWaterBytes = Math.floor(highWaterBytes / 2);
  }

  /** The host opens the real channel before it starts the session. */
  whenOpen(): Promise<void> {
    return Promise.resolve();
  }

  queuedBytes(): number {
    return this.reportedQueue + this.postedSinceReport;
  }

  setLowWater(bytes: number): void {
    this.lowWaterBytes = bytes;
  }

  send(datagram: Uint8Array): void {
    if (this.outgoing.length === 0) this.wantFlush();
    this.outgoing.push(datagram);
    this.postedSinceReport += datagram.byteLength;
  }

  /** Hands over the batch to post to the host. */
  takeOutgoing(): Uint8Array[] {
    const batch = this.outgoing;
    this.outgoing = [];
    return batch;
  }

  onDatagram(handler: (datagram: Uint8Array) => void): void {
    this.datagramHandler = handler;
  }
  onWritable(handler: () => void): void {
    this.writableHandlers.push(handler);
  }
  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }

  /** Datagrams the host received on the real channel. */
  receive(datagrams: Uint8Array[]): void {
    for (const d of datagrams) this.datagramHandler(d);
  }

  /** The host's report of the real channel. */
  updateState(open: boolean, queuedBytes: number, highWaterBytes: number): void {
    const wasAbove = this.queuedBytes() > this.lowWaterBytes;
    const wasBlocked = this.queuedBytes() >= this.highWaterBytes;
    this.highWaterBytes = highWaterBytes;
    this.reportedQueue = queuedBytes;
    this.postedSinceReport = 0;
    if (this.open && !open) {
      this.open = false;
      for (const h of this.closeHandlers) h();
      return;
    }
    const queued = this.queuedBytes();
    if ((wasAbove && queued <= this.lowWaterBytes) || (wasBlocked && queued < this.highWaterBytes)) {
      for (const h of this.writableHandlers) h();
    }
  }

  updateSample(sample: CongestionSample): void {
    this.latestSample = sample;
  }

  async sample(): Promise<CongestionSample> {
    return { ...this.latestSample, queueBytes: this.queuedBytes() };
  }

  close(): void {
    this.open = false;
  }
}
