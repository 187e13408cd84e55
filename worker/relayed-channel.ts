import type { CongestionSample } from '../src/congestion/congestion-report.js';
import { chooseLane, type DatagramChannel, type LaneBacklog, type LaneLoad } from '../src/transport/datachannel.js';
import { NO_LANE } from './protocol.js';

/**
 * The worker's view of a data channel that stays on the host thread: datagrams go out in batches
 * through `flush`, and the host reports the channel's queue. Between two reports the bytes this
 * side has posted count as queued, so the worker never overshoots the high-water mark while a
 * report is in transit. Where the host's channel has lanes (a StripedChannel), the host reports
 * each lane's load and this side picks the lane of each datagram, so the engine knows it when it
 * seals the datagram; bytes posted to a lane since the report count against its room.
 */
export class RelayedChannel implements DatagramChannel {
  readonly label = 'pdu';
  open = true;
  private reportedQueue = 0;
  private postedSinceReport = 0;
  private outgoing: Uint8Array[] = [];
  /** The lane of each outgoing datagram (NO_LANE where it has none). */
  private outgoingLanes: number[] = [];
  private lanes: LaneLoad[] | undefined;
  /** Each lane as reported, less what was posted to it since: what pickLane chooses from. */
  private estimated: LaneLoad[] = [];
  private postedToLane: number[] = [];
  private nextLane = 0;
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

  /** Runs for every datagram: it refreshes `estimated` in place rather than allocate. */
  pickLane(): number | undefined {
    const lanes = this.lanes;
    if (!lanes) return undefined;
    for (let i = 0; i < lanes.length; i++) {
      const reported = lanes[i]!;
      const estimate = this.estimated[i]!;
      const posted = this.postedToLane[i] ?? 0;
      if (reported.room !== undefined) estimate.room = reported.room - posted;
      else estimate.queuedBytes = reported.queuedBytes + posted;
    }
    return chooseLane(this.estimated, this.nextLane);
  }

  laneLoads(): LaneLoad[] | undefined {
    return this.lanes;
  }

  /** From the host's latest report: what it had sent on the lane then, what was still queued, and its room less what was posted since. */
  laneBacklog(lane: number): LaneBacklog | undefined {
    const reported = this.lanes?.[lane];
    if (reported?.sentBytes === undefined) return undefined;
    const backlog: LaneBacklog = { departedBytes: reported.sentBytes - reported.queuedBytes, knownBytes: reported.sentBytes };
    if (reported.room !== undefined) backlog.room = reported.room - (this.postedToLane[lane] ?? 0);
    return backlog;
  }

  send(datagram: Uint8Array, lane?: number): void {
    if (this.outgoing.length === 0) this.wantFlush();
    if (this.lanes && lane !== undefined) {
      this.postedToLane[lane] = (this.postedToLane[lane] ?? 0) + datagram.byteLength;
      this.nextLane = (lane + 1) % this.lanes.length;
    }
    this.outgoingLanes.push(this.lanes && lane !== undefined ? lane : NO_LANE);
    this.outgoing.push(datagram);
    this.postedSinceReport += datagram.byteLength;
  }

  /**
   * Hands over the batch to post to the host, with the lane of each datagram where any has one
   * (NO_LANE: the host picks).
   */
  takeOutgoing(): { datagrams: Uint8Array[]; lanes?: number[] } {
    const datagrams = this.outgoing;
    const lanes = this.outgoingLanes;
    this.outgoing = [];
    this.outgoingLanes = [];
    return lanes.some((lane) => lane !== NO_LANE) ? { datagrams, lanes } : { datagrams };
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

  /** The host's report of the real channel (`lanes` where it has them). */
  updateState(open: boolean, queuedBytes: number, highWaterBytes: number, lanes?: LaneLoad[]): void {
    const wasAbove = this.queuedBytes() > this.lowWaterBytes;
    const wasBlocked = this.queuedBytes() >= this.highWaterBytes;
    this.highWaterBytes = highWaterBytes;
    this.reportedQueue = queuedBytes;
    this.postedSinceReport = 0;
    this.lanes = lanes !== undefined && lanes.length > 0 ? lanes : undefined;
    this.estimated = this.lanes?.map((l) => ({ ...l })) ?? [];
    this.postedToLane = [];
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
