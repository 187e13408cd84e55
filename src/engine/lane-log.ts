import type { SentPacket } from '../recovery/sent-packet-tracker.js';

/**
 * Datagrams `from` to `to - 1` of `lane` are held (PduEngine.reportLaneBacklog); `full`: the
 * lane's stack would hold the next datagram too (its window has no room), held ones or not.
 */
export interface LaneHold {
  lane: number;
  from: number;
  to: number;
  full?: boolean;
}

/** Datagrams remembered per lane: more than a lane's queue holds at its high-water mark. */
const LANE_LOG_LENGTH = 256;

/**
 * The latest datagrams the engine gave each lane, numbered from 0 per lane: for each, the packet
 * the tracker follows, or nothing for a datagram it does not (an ACK alone, a handshake message).
 * A host numbers the same datagrams when it reports which of them the stack below still holds
 * (`PduEngine.reportLaneBacklog`). Each lane is a ring, allocated on its first datagram.
 */
export class LaneLog {
  private readonly rings: (SentPacket | undefined)[][] = [];
  /** Per lane: datagrams recorded since the lane's first (the ring's write position, unwrapped). */
  private readonly counts: number[] = [];

  /** Whether a lane that has carried datagrams is neither holding any nor full, by `held`. */
  hasFreeLane(held: readonly LaneHold[]): boolean {
    for (let lane = 0; lane < this.rings.length; lane++) {
      if (this.rings[lane] !== undefined && !held.some((h) => h.lane === lane && (h.to > h.from || h.full === true))) return true;
    }
    return false;
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
   * datagram is 0), as many of them as are still remembered.
   */
  range(lane: number, from: number, to: number, visit: (packet: SentPacket) => void): void {
    const ring = this.rings[lane];
    if (ring === undefined) return;
    const count = this.counts[lane]!;
    for (let i = Math.max(from, count - LANE_LOG_LENGTH); i < Math.min(to, count); i++) {
      const packet = ring[i % LANE_LOG_LENGTH];
      if (packet !== undefined) visit(packet);
    }
  }
}
