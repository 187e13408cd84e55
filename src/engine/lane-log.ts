import type { SentPacket } from '../recovery/sent-packet-tracker.js';

/**
 * What the stack below a lane holds (PduEngine.reportLaneBacklog): datagrams `from` to `to - 1`
 * of `lane` have not left; `from` is the lane's first datagram not known to have left.
 */
export interface LaneHold {
  lane: number;
  from: number;
  to: number;
  /**
   * The lane would hold a datagram sent now too: its window has no room, or its stack has not
   * yet told what became of datagrams it was given (a relay's report is on its way).
   */
  busy?: true;
  /** Bytes the lane's stack would put on the wire at once, where it can tell. */
  room?: number;
}

/** Datagrams remembered per lane: more than a lane's queue holds at its high-water mark. */
const LANE_LOG_LENGTH = 256;

/**
 * The latest datagrams the engine gave each lane, numbered from 0 per lane: for each, the packet
 * the tracker recorded (an ACK alone too), or nothing for a datagram it did not (a handshake
 * message).
 * A host numbers the same datagrams when it reports which of them the stack below still holds
 * (`PduEngine.reportLaneBacklog`). Each lane is a ring, allocated on its first datagram.
 */
export class LaneLog {
  private readonly rings: (SentPacket | undefined)[][] = [];
  /** Per lane: datagrams recorded since the lane's first (the ring's write position, unwrapped). */
  private readonly counts: number[] = [];

  /**
   * The lanes that have carried datagrams and, by `held`, hold none and are not busy, with the
   * room each has where its stack told (undefined where it did not).
   */
  freeLanes(held: readonly LaneHold[]): (number | undefined)[] {
    const free: (number | undefined)[] = [];
    for (let lane = 0; lane < this.rings.length; lane++) {
      if (this.rings[lane] === undefined) continue;
      const hold = held.find((h) => h.lane === lane);
      if (hold === undefined) free.push(undefined);
      else if (hold.to <= hold.from && hold.busy !== true) free.push(hold.room);
    }
    return free;
  }

  record(lane: number, packet: SentPacket | undefined): void {
    let ring = this.rings[lane];
    if (ring === undefined) {
      ring = this.rings[lane] = new Array<SentPacket | undefined>(LANE_LOG_LENGTH);
      this.counts[lane] = 0;
    }
    const count = this.counts[lane]!;
    ring[count % LANE_LOG_LENGTH] = packet;
    this.counts[lane] = count + 1;
  }

  /**
   * Visits the packets of the lane's datagrams numbered `from` to `to - 1` (the lane's first
   * datagram is 0), newest first, as many of them as are still remembered, until `visit` returns
   * false.
   */
  range(lane: number, from: number, to: number, visit: (packet: SentPacket) => boolean): void {
    const ring = this.rings[lane];
    if (ring === undefined) return;
    const count = this.counts[lane]!;
    const first = Math.max(from, count - LANE_LOG_LENGTH);
    for (let i = Math.min(to, count) - 1; i >= first; i--) {
      const packet = ring[i % LANE_LOG_LENGTH];
      if (packet !== undefined && !visit(packet)) return;
    }
  }

  /**
   * The newest ack-eliciting packet among the lane's datagrams from `from` on, if one is
   * remembered: an ACK alone has no timer that its departure could move.
   */
  newestElicitingFrom(lane: number, from: number): SentPacket | undefined {
    let newest: SentPacket | undefined;
    this.range(lane, from, Number.MAX_SAFE_INTEGER, (p) => {
      if (p.ackEliciting) newest = p;
      return newest === undefined;
    });
    return newest;
  }
}
