import type { LaneHold } from '../engine/lane-log.js';
import type { DatagramChannel } from '../transport/datachannel.js';

/** Sends remembered per lane that have not been seen to leave; beyond it the oldest count as gone. */
const MAX_PENDING_SENDS = 4096;

/** One lane's sends not yet seen to leave, oldest first. */
interface LaneSends {
  /** Per send: the lane's byte count once it was handed over. */
  endBytes: number[];
  /** Per send: the lane's datagram count once it was handed over (a bundle holds several). */
  endDatagrams: number[];
  head: number;
  /** Bytes and engine datagrams handed to the lane so far. */
  bytes: number;
  datagrams: number;
  /** Datagrams seen to leave (those before the first pending send). */
  departedDatagrams: number;
}

/**
 * Which of the engine's datagrams the stack below a channel still holds, lane by lane, for
 * `PduEngine.reportLaneBacklog`. The driver records each send (a datagram, a bundle of several,
 * or a probe copy of none) with its bytes and the engine datagrams it carries, numbering them
 * per lane as the engine does, and matches them against the channel's `laneBacklog`: the sends
 * past its departed bytes, as far as its known bytes, are held.
 */
export class LaneBacklogWatch {
  private readonly lanes: (LaneSends | undefined)[] = [];

  /** `bytes` went to `lane`, carrying the lane's next `datagrams` engine datagrams. */
  onSent(lane: number, bytes: number, datagrams: number): void {
    const sends = this.lane(lane);
    sends.bytes += bytes;
    sends.datagrams += datagrams;
    sends.endBytes.push(sends.bytes);
    sends.endDatagrams.push(sends.datagrams);
    if (sends.endBytes.length - sends.head > MAX_PENDING_SENDS) this.depart(sends, sends.head + 1);
  }

  /**
   * Matches the pending sends against the channel and adds to `held` an entry for each lane that
   * holds datagrams, is busy (its stack says it has no room, or has not yet told about some of
   * its datagrams) or tells its room. Returns whether any lane holds datagrams not known to have
   * left. A channel that cannot tell is not watched.
   */
  check(channel: DatagramChannel, held: LaneHold[]): boolean {
    let holding = false;
    for (let lane = 0; lane < this.lanes.length; lane++) {
      const sends = this.lanes[lane];
      if (sends === undefined) continue;
      const backlog = channel.laneBacklog?.(lane);
      if (backlog === undefined) {
        this.depart(sends, sends.endBytes.length);
        continue;
      }
      let first = sends.head;
      while (first < sends.endBytes.length && sends.endBytes[first]! <= backlog.departedBytes) first++;
      this.depart(sends, first);
      const from = sends.departedDatagrams;
      // Held: the sends the channel's count covers that it has not seen leave.
      let last = sends.head - 1;
      while (last + 1 < sends.endBytes.length && sends.endBytes[last + 1]! <= backlog.knownBytes) last++;
      const to = last >= sends.head ? sends.endDatagrams[last]! : from;
      const untold = sends.datagrams > to;
      if (to > from || untold) holding = true;
      // A room that is not a number (a stack that changed under us) tells nothing: busy.
      const busy = untold || (backlog.room !== undefined && !(backlog.room > 0 && Number.isFinite(backlog.room)));
      if (to > from || busy) held.push({ lane, from, to, ...(busy ? { busy } : {}) });
      else if (backlog.room !== undefined) held.push({ lane, from, to, room: backlog.room });
    }
    return holding;
  }

  private lane(lane: number): LaneSends {
    let sends = this.lanes[lane];
    if (sends === undefined) {
      sends = this.lanes[lane] = { endBytes: [], endDatagrams: [], head: 0, bytes: 0, datagrams: 0, departedDatagrams: 0 };
    }
    return sends;
  }

  /** Forgets the sends before `first`: they have left. */
  private depart(sends: LaneSends, first: number): void {
    if (first === sends.head) return;
    sends.departedDatagrams = sends.endDatagrams[first - 1]!;
    sends.head = first;
    if (sends.head === sends.endBytes.length) {
      sends.endBytes.length = 0;
      sends.endDatagrams.length = 0;
      sends.head = 0;
    } else if (sends.head >= 1024 && 2 * sends.head >= sends.endBytes.length) {
      sends.endBytes.splice(0, sends.head);
      sends.endDatagrams.splice(0, sends.head);
      sends.head = 0;
    }
  }
}
