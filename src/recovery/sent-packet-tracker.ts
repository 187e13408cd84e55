import type { Range } from './range-set.js';
import type { RttEstimator } from './rtt-estimator.js';

/**
 * Why a packet's content was sent again: the receiver asked (NACK), or the sender's own timers
 * found it lost: a later packet was acknowledged (threshold), a later packet on the same FIFO
 * lane was (lane), the tail of a flight went unacknowledged for a round trip (tail), or nothing
 * was acknowledged for a probe timeout (pto).
 */
export type LossCause = 'nack' | 'threshold' | 'lane' | 'tail' | 'pto';

/**
 * Why a fragment went again: a loss, or `held`: no loss, its datagram waited behind its lane's
 * transport window while another lane had none waiting (OutgoingStream.onHeld).
 */
export type ResendCause = LossCause | 'held';

export interface SentFragmentRef {
  messageNumber: number;
  sequence: number;
}

/** What the engine needs to know about a sent packet until it is acknowledged or lost. */
export interface SentPacket {
  packetNumber: number;
  /** When the engine handed it to the channel. */
  timeSent: number;
  /**
   * The latest time the stack below was seen still holding it (its lane's queue, behind an SCTP
   * window), when it was: it left then or later. Loss timers count from `departure(p)`.
   */
  heldAt?: number;
  /**
   * The largest packet number sent by `heldAt`: packets numbered up to it may have left after
   * this one, so only those numbered above count toward its loss by count.
   */
  heldBehind?: number;
  bytes: number;
  /** Counts toward bytes in flight and arms the loss timers. ACK-only packets do not. */
  ackEliciting: boolean;
  /**
   * The FIFO lane the channel sent it on (a stripe's SCTP association), when the channel told:
   * on a lane, what was sent earlier arrives earlier or never.
   */
  lane?: number;
  fragment?: SentFragmentRef;
  /** Message numbers cancelled in this packet: a CANCEL must arrive, so it is resent when lost. */
  cancels?: number[];
  /** Delivery-rate snapshot (draft-cheng-iccrg-delivery-rate-estimation) taken at send time. */
  delivered: number;
  deliveredTime: number;
  firstSentTime: number;
  appLimited: boolean;
  /** Bytes in flight just before this packet left: the queue it joined. */
  priorInFlight?: number;
  lossCause?: LossCause;
  /** Declared lost by the time threshold (a 'threshold' loss the count did not decide). */
  lostByTime?: true;
  lostAt?: number;
  /** Set when the content of this (lost) packet was actually sent again. */
  retransmitted?: boolean;
  /** The second copy of a duplicated retransmission: the first copy's packet number. */
  pairedWith?: number;
  /** Its fragment went again on another lane while this packet was held (ResendCause 'held'). */
  rerouted?: true;
}

export interface AckResult {
  newlyAcked: SentPacket[];
  /** Packets declared lost earlier and acknowledged now: their retransmission was unnecessary. */
  spurious: SentPacket[];
  /**
   * Raw RTT sample from the largest newly acknowledged ack-eliciting packet (one declared lost
   * included), if it was the largest acked: from when the engine handed it over.
   */
  rttSample?: number;
  /** The same sample from when the packet left the stack below (`departure`): the path's own round trip. */
  pathRttSample?: number;
  /** The sample's packet had been declared lost (it is among `spurious`). */
  rttSampleFromLost?: boolean;
  /** Packets this ACK shows lost on their FIFO lane, now declared lost (cause 'lane'). */
  laneLost: SentPacket[];
}

export interface LossConstants {
  /** Packet threshold to start from; it rises when the path is seen to reorder (see SentPacketTracker). */
  packetThreshold: number;
  timeThreshold: number;
  granularityMs: number;
}

/**
 * Packets in flight, by packet number: an array from the oldest one still in flight to the
 * newest, with holes where packets were acknowledged, lost or never in flight (ACK-only
 * packets). Packet numbers only grow, so adding, finding and removing are O(1) and order is
 * number order. Not a Map: under the steady add-and-remove of a transfer a Map keeps reallocating
 * its hash table, and discarded tables that reach the old generation hold acknowledged packets
 * alive through young-generation GCs, which copy and promote them (in bench:core, most of the
 * engine's own GC time).
 */
class InFlightWindow {
  /** slots[i] is packet number base + i; slots before `head` are all empty. */
  private slots: (SentPacket | undefined)[] = [];
  private head = 0;
  private base = 0;
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(packetNumber: number): SentPacket | undefined {
    const i = packetNumber - this.base;
    return i >= this.head && i < this.slots.length ? this.slots[i] : undefined;
  }

  /** The oldest packet in flight. */
  first(): SentPacket | undefined {
    return this.count > 0 ? this.slots[this.head] : undefined;
  }

  /** The oldest packet number in flight. */
  firstNumber(): number | undefined {
    return this.count > 0 ? this.base + this.head : undefined;
  }

  /** The next packet number in flight after `packetNumber`. */
  nextNumber(packetNumber: number): number | undefined {
    for (let i = packetNumber - this.base + 1; i < this.slots.length; i++) {
      if (this.slots[i] !== undefined) return this.base + i;
    }
    return undefined;
  }

  add(packet: SentPacket): void {
    const n = packet.packetNumber;
    if (this.count === 0) {
      this.slots.length = 0;
      this.head = 0;
      this.base = n;
    } else if (n < this.base + this.head) {
      // Older than everything in flight (senders number in order; kept correct regardless).
      this.compact();
      this.slots.unshift(...new Array<undefined>(this.base - n));
      this.base = n;
    }
    const i = n - this.base;
    while (this.slots.length < i) this.slots.push(undefined);
    if (this.slots[i] === undefined) this.count++;
    this.slots[i] = packet;
  }

  /** Removes a packet; false when it was not in flight. */
  delete(packetNumber: number): boolean {
    const i = packetNumber - this.base;
    if (i < this.head || i >= this.slots.length || this.slots[i] === undefined) return false;
    this.slots[i] = undefined;
    if (--this.count === 0) {
      this.slots.length = 0;
      this.head = 0;
    } else if (i === this.head) {
      while (this.slots[this.head] === undefined) this.head++;
      if (this.head >= 64 && this.head * 2 >= this.slots.length) this.compact();
    }
    return true;
  }

  /** Packets numbered `start` to `end` (inclusive) in number order, visiting only the window's slots. */
  between(start: number, end: number): SentPacket[] {
    const out: SentPacket[] = [];
    const from = Math.max(this.head, start - this.base);
    const to = Math.min(this.slots.length - 1, end - this.base);
    for (let i = from; i <= to; i++) {
      const p = this.slots[i];
      if (p !== undefined) out.push(p);
    }
    return out;
  }

  private compact(): void {
    this.slots.splice(0, this.head);
    this.base += this.head;
    this.head = 0;
  }
}

/** Lanes a sender may name (`PduEngine.pollTransmit`): stripes are peer connections, so few. */
export const MAX_LANES = 64;

/**
 * When a packet left for the peer as far as the sender knows: when the stack below was last seen
 * holding it, else when the engine handed it over.
 */
export function departure(p: SentPacket): number {
  return p.heldAt ?? p.timeSent;
}

/** The packet number the count threshold counts a packet's followers from (SentPacket.heldBehind). */
function countedFrom(p: SentPacket): number {
  return Math.max(p.packetNumber, p.heldBehind ?? -1);
}

/** Whether `lane` is one a sender may name: an integer in 0..MAX_LANES-1. */
export function isLane(lane: number): boolean {
  return Number.isInteger(lane) && lane >= 0 && lane < MAX_LANES;
}

/**
 * Highest the packet threshold rises to on a reordering path; the time threshold still applies.
 * Stripes at tens of MB/s reorder by hundreds of packets (a few ms of skew between their queues):
 * with a bound of 64 the count declared those lost and resent them.
 */
export const MAX_PACKET_THRESHOLD = 1024;

/** Loss episodes (real losses a round apart) after which the reordering window halves. */
const REORDER_DECAY_LOSSES = 16;
/** Most quarter-min-RTT steps the window counts (four min RTTs, beyond its srtt cap anyway). */
const MAX_REORDER_STEPS = 16;
/** Time-threshold losses on FIFO lanes remembered when judging whether most were spurious. */
const FIFO_TIME_LOSS_MEMORY = 64;
/** Time-threshold losses on FIFO lanes seen before their spurious share may widen the window. */
const FIFO_TIME_LOSS_MIN = 8;
/** Packets the lane rule declared lost, acknowledged after all, that withdraw it from their lane. */
const LANE_STRIKES = 2;
/** Held packets lossTime looks past, at most, for the earliest departure. */
const HELD_SCAN = 64;

/**
 * Sender-side record of packets in flight, after RFC 9002 sections 6 and A: ACK processing,
 * loss detection by packet and time thresholds, and the bookkeeping for NACK- and PTO-driven
 * retransmission. Lost packets are remembered for a while so that a late ACK reveals a spurious
 * retransmission.
 *
 * The packet threshold adapts to reordering, as TCP's does (RFC 4737's reordering extent, Linux's
 * `tp->reordering`): when a packet declared lost by the count turns out to have arrived after
 * all, the threshold rises past the number of later packets acknowledged before it (at most
 * MAX_PACKET_THRESHOLD). A path striped over several associations reorders by design; a FIFO
 * path never raises it.
 *
 * Where the channel names each packet's FIFO lane (one per SCTP association), a packet is lost as
 * soon as a later packet on its own lane is acknowledged: order between lanes says nothing, order
 * within one says everything, so this needs neither a count nor a time slack. Should a packet so
 * declared be acknowledged after all, that lane is not FIFO (its stack retransmitted, or the path
 * reorders), and from then on its packets are judged by the thresholds alone.
 */
export class SentPacketTracker {
  private readonly inFlight = new InFlightWindow();
  /** Insertion order is declaration order. */
  private readonly recentlyLost = new Map<number, SentPacket>();
  private bytesInFlightCount = 0;
  private largestSentNumber = -1;
  private largestAckedNumber = -1;
  private lastAckElicitingTime: number | undefined;
  private threshold: number;
  /** Per lane: the largest packet number acknowledged on it (-1 before any). */
  private readonly laneLargestAcked: number[] = [];
  /** Lanes shown not to be FIFO: the lane rule no longer applies to them. */
  private readonly untrustedLanes = new Set<number>();
  /** Per lane: packets the lane rule declared lost that were acknowledged after all. */
  private readonly laneStrikes: number[] = [];
  /** Per lane: the latest packet declared lost on it. */
  private readonly laneLatestLost: (SentPacket | undefined)[] = [];
  /** Scratch for lostOnLanes: per lane, the later packet a frame proves arrived (-1: none). */
  private readonly laneBound: number[] = [];
  /** Reordering window, in quarters of the min RTT added to the time threshold (RFC 8985 6.2). */
  private reorderSteps = 0;
  private reorderWidenedAt = Number.NEGATIVE_INFINITY;
  private realLossesSinceWiden = 0;
  /**
   * Packets on FIFO lanes the time threshold declared lost, and those of them acknowledged after
   * all; both halve once the first passes FIFO_TIME_LOSS_MEMORY, so they speak of recent rounds.
   */
  private fifoTimeLosses = 0;
  private fifoTimeSpurious = 0;
  /** Send time of the real loss last counted toward the decay: one per round, as RACK counts recoveries. */
  private lastCountedLossSent = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly constants: LossConstants,
    private readonly maxRememberedLost: number,
    /** Apply the lane rule to packets that carry a lane. */
    private readonly laneLossDetection = true,
  ) {
    this.threshold = constants.packetThreshold;
  }

  /** The packet threshold in force: the configured one, or more on a path seen to reorder. */
  get packetThreshold(): number {
    return this.threshold;
  }

  get bytesInFlight(): number {
    return this.bytesInFlightCount;
  }

  get largestAcked(): number {
    return this.largestAckedNumber;
  }

  get packetsInFlight(): number {
    return this.inFlight.size;
  }

  onSent(packet: SentPacket): void {
    this.largestSentNumber = Math.max(this.largestSentNumber, packet.packetNumber);
    if (!packet.ackEliciting) return;
    this.inFlight.add(packet);
    this.bytesInFlightCount += packet.bytes;
    this.lastAckElicitingTime = packet.timeSent;
  }

  /**
   * Applies an ACK frame. Returns undefined when the frame acknowledges a packet never sent:
   * a forged or corrupt ACK is ignored entirely (RFC 9002 treats it as a protocol violation).
   */
  onAck(largest: number, ranges: readonly Range[], now: number): AckResult | undefined {
    if (!Number.isSafeInteger(largest) || largest > this.largestSentNumber || largest < 0) return undefined;
    for (const r of ranges) {
      if (r.end > largest || r.start < 0 || r.end < r.start) return undefined;
    }
    const result: AckResult = { newlyAcked: [], spurious: [], laneLost: [] };
    let largestNewly: SentPacket | undefined;
    for (const r of ranges) {
      for (const p of this.inFlight.between(r.start, r.end)) {
        this.inFlight.delete(p.packetNumber);
        this.bytesInFlightCount -= p.bytes;
        result.newlyAcked.push(p);
        if (!largestNewly || p.packetNumber > largestNewly.packetNumber) largestNewly = p;
        this.onLaneAcked(p);
      }
      this.collect(this.recentlyLost, r, (p) => {
        this.recentlyLost.delete(p.packetNumber);
        result.spurious.push(p);
        // Newly acknowledged too: RFC 9002 5.1's text makes no exception for packets declared
        // lost (its appendix's code forgets them, so never samples them), and a packet number is
        // never reused, so the sample is unambiguous. Without it a tail probed needlessly, because
        // its ACK was late, never taught the timers that round trip. See rttSampleFromLost.
        if (!largestNewly || p.packetNumber > largestNewly.packetNumber) largestNewly = p;
        if (p.lostByTime) this.widenReorderWindow(p, now);
        else if (p.lossCause === 'threshold') {
          // Counted as detectLosses counted it: a held packet from when it was last seen held.
          const extent = this.largestAckedNumber - countedFrom(p);
          this.threshold = Math.min(MAX_PACKET_THRESHOLD, Math.max(this.threshold, extent + 1));
        } else if (p.lossCause === 'lane') this.strikeLane(p.lane!);
        this.onLaneAcked(p);
      });
    }
    if (largestNewly && largestNewly.packetNumber === largest) {
      result.rttSample = now - largestNewly.timeSent;
      result.pathRttSample = now - departure(largestNewly);
      result.rttSampleFromLost = largestNewly.lossCause !== undefined;
    }
    this.largestAckedNumber = Math.max(this.largestAckedNumber, largest);
    result.newlyAcked.sort((a, b) => a.packetNumber - b.packetNumber);
    if (this.laneLossDetection && this.laneLargestAcked.length > 0) result.laneLost = this.lostOnLanes(ranges, now);
    return result;
  }

  /** RFC 9002 6.1: packets below the largest acknowledged that are too old or too far behind are lost. */
  detectLosses(now: number, rtt: RttEstimator): SentPacket[] {
    const lost: SentPacket[] = [];
    const lossDelay = this.lossDelay(rtt);
    for (const p of this.inFlight.between(0, this.largestAckedNumber)) {
      // A held packet left after packets numbered later: only those sent once it was last seen
      // held count (a lane that holds it longer than reports follow it may still let some of
      // those overtake it; an acknowledgement then widens the threshold, from the same point).
      const byCount = this.largestAckedNumber - countedFrom(p) >= this.threshold;
      if (byCount || departure(p) + lossDelay <= now) {
        if (!byCount) {
          p.lostByTime = true;
          if (this.onFifoLane(p) && ++this.fifoTimeLosses > FIFO_TIME_LOSS_MEMORY) {
            this.fifoTimeLosses >>= 1;
            this.fifoTimeSpurious >>= 1;
          }
        }
        lost.push(p);
      }
    }
    for (const p of lost) this.declareLost(p, 'threshold', now);
    return lost;
  }

  /**
   * A packet the time threshold declared lost arrived after all: the path reorders (or its
   * delay swings) by more than the threshold allows. On a FIFO lane only where such packets are
   * most of the lanes' time-threshold losses: lanes skew against each other by design, the lane
   * rule already judges each within itself, and under loss the window would only slow the time
   * threshold where it still matters, at the last packet of a lane in a flight (four Chromium
   * stripes at 5% loss, one run each: p99 155 ms with it, 129 without, the same 93 needless
   * resends). But where a stripe's transport window holds datagrams back a round trip (werift
   * at 0% loss) nearly every time loss is such a wait. As RACK does (RFC 8985 6.2), widen the
   * window by a quarter of the min RTT, once per round (a packet sent before the last widening
   * was judged by the narrower window) and up to one smoothed RTT; it halves after
   * REORDER_DECAY_LOSSES loss episodes. Without it, on a path with 5 ms of reordering jitter a
   * third of the datagrams were resent for nothing, round after round. Spurious tail probes
   * teach it nothing: a tail has no later packet that overtook it, only a late ACK.
   */
  private widenReorderWindow(p: SentPacket, now: number): void {
    if (this.onFifoLane(p)) {
      this.fifoTimeSpurious++;
      if (this.fifoTimeLosses < FIFO_TIME_LOSS_MIN || 2 * this.fifoTimeSpurious <= this.fifoTimeLosses) return;
    }
    if (p.timeSent <= this.reorderWidenedAt) return;
    this.reorderSteps = Math.min(MAX_REORDER_STEPS, this.reorderSteps + 1);
    this.reorderWidenedAt = now;
    this.realLossesSinceWiden = 0;
  }

  /**
   * A packet the lane rule declared lost arrived after all: its lane delivered out of order.
   * LANE_STRIKES such packets withdraw the rule from the lane for good. One is not enough: a
   * stack below may reorder once in thousands (Chromium to werift, BENCHMARKS.md "Session 14"),
   * and a withdrawn lane waits for the thresholds and probe timeouts for the rest of the session.
   */
  private strikeLane(lane: number): void {
    this.laneStrikes[lane] = (this.laneStrikes[lane] ?? 0) + 1;
    if (this.laneStrikes[lane]! >= LANE_STRIKES) this.untrustedLanes.add(lane);
  }

  /** The packet took a lane the lane rule trusts to be FIFO. */
  private onFifoLane(p: SentPacket): boolean {
    return p.lane !== undefined && this.laneLossDetection && !this.untrustedLanes.has(p.lane);
  }

  /** The reordering window in force, ms. */
  private reorderWindow(rtt: RttEstimator): number {
    return Math.min(rtt.srtt, (this.reorderSteps * rtt.minRtt) / 4);
  }

  /** Lanes the rule was withdrawn from, having shown themselves not to be FIFO. */
  get untrustedLaneCount(): number {
    return this.untrustedLanes.size;
  }

  /**
   * The lane rule, on one ACK frame. A frame reports every packet received in its span (its
   * lowest range start to its largest), so a packet in the span that it leaves out had not
   * arrived when the frame was built; older packets may simply have been left out (a frame
   * carries few ranges). If the frame also reports a later packet on the same lane, that one
   * arrived first, and on a FIFO lane the earlier one never will. The later packet is each
   * lane's largest acknowledged, and counts only if this frame itself reports it: a frame that
   * crossed a newer one on the way back may predate it.
   */
  private lostOnLanes(ranges: readonly Range[], now: number): SentPacket[] {
    // A frame of one range leaves nothing out inside its span (the common case on a clean path).
    if (ranges.length < 2) return [];
    const bound = this.laneBound;
    let any = false;
    for (let lane = 0; lane < this.laneLargestAcked.length; lane++) {
      const q = this.laneLargestAcked[lane]!;
      const evidence = !this.untrustedLanes.has(lane) && ranges.some((r) => r.start <= q && q <= r.end);
      bound[lane] = evidence ? q : -1;
      any ||= evidence;
    }
    if (!any) return [];
    // The gaps between the frame's ranges (a peer need not list them in order).
    const sorted = [...ranges].sort((x, y) => y.start - x.start);
    const lost: SentPacket[] = [];
    for (let i = 1; i < sorted.length; i++) {
      for (const p of this.inFlight.between(sorted[i]!.end + 1, sorted[i - 1]!.start - 1)) {
        if (p.lane !== undefined && (bound[p.lane] ?? -1) > p.packetNumber) lost.push(p);
      }
    }
    for (const p of lost) this.declareLost(p, 'lane', now);
    return lost;
  }

  private onLaneAcked(p: SentPacket): void {
    const lane = p.lane;
    if (lane === undefined) return;
    while (this.laneLargestAcked.length <= lane) this.laneLargestAcked.push(-1);
    if (p.packetNumber > this.laneLargestAcked[lane]!) this.laneLargestAcked[lane] = p.packetNumber;
  }

  /**
   * Earliest time a packet below the largest acknowledged becomes lost by the time threshold.
   * Send times rise with packet numbers and departures never precede them, so the first packet
   * not seen held bounds every later one; held packets before it are looked at one by one (at
   * most HELD_SCAN: beyond them the next ACK's detectLosses finds what is due).
   */
  lossTime(rtt: RttEstimator): number | undefined {
    let earliestDeparture: number | undefined;
    let scanned = 0;
    for (let n = this.inFlight.firstNumber(); n !== undefined && n <= this.largestAckedNumber && scanned < HELD_SCAN; n = this.inFlight.nextNumber(n)) {
      const p = this.inFlight.get(n)!;
      const d = departure(p);
      if (earliestDeparture === undefined || d < earliestDeparture) earliestDeparture = d;
      if (p.heldAt === undefined) break;
      scanned++;
    }
    return earliestDeparture === undefined ? undefined : earliestDeparture + this.lossDelay(rtt);
  }

  /**
   * The stack below still holds this packet at `now` (DatagramChannel.laneBacklog): it has not
   * left, so its timers count from now. An SCTP association holds what its window has no room
   * for until a SACK opens it, a round trip at most: a packet held longer, or behind one on its
   * lane declared lost meanwhile, waits for the association's retransmission timer (a second
   * or more: a lost chunk with nothing after it in flight is never reported missing), and is
   * judged from its hand-over again, so that its content goes another way. Ignored for a packet
   * not in flight.
   */
  onHeld(packet: SentPacket, now: number, srttMs: number): void {
    if (this.inFlight.get(packet.packetNumber) !== packet) return;
    const lost = packet.lane !== undefined ? this.laneLatestLost[packet.lane] : undefined;
    if (lost !== undefined && lost.packetNumber < packet.packetNumber && lost.timeSent >= packet.timeSent - srttMs) {
      delete packet.heldAt;
      delete packet.heldBehind;
      return;
    }
    if (now - packet.timeSent > srttMs || now <= departure(packet)) return;
    packet.heldAt = now;
    packet.heldBehind = this.largestSentNumber;
    if (this.lastAckElicitingTime !== undefined && now > this.lastAckElicitingTime) this.lastAckElicitingTime = now;
  }

  /**
   * A NACK names packets the receiver believes lost. For a packet still in flight it is honoured
   * only when the packet is old enough that its absence at the receiver means something:
   * `minAgeMs` below the largest acknowledged (a later packet arrived, so on a FIFO path this
   * one is lost), `minTailAgeMs(p)` above it (nothing later arrived; only time says it is lost).
   * NACK floods and forged NACKs for fresh packets are thereby harmless. A NACK of a packet
   * already declared lost is returned in `repeated`: the receiver still lacks its content, so
   * the caller may resend it if its latest copy should have arrived by now. Visits only packets
   * the tracker holds (a range may be forged and huge).
   */
  onNackRange(
    start: number,
    end: number,
    now: number,
    minAgeMs: number,
    minTailAgeMs: (p: SentPacket) => number,
  ): { honoured: SentPacket[]; repeated: SentPacket[]; ignored: number } {
    const honoured: SentPacket[] = [];
    const repeated: SentPacket[] = [];
    this.collect(this.recentlyLost, { start, end }, (p) => repeated.push(p));
    for (const p of this.inFlight.between(start, end)) {
      const minAge = p.packetNumber < this.largestAckedNumber ? minAgeMs : minTailAgeMs(p);
      if (now - departure(p) < minAge) continue;
      this.declareLost(p, 'nack', now);
      honoured.push(p);
    }
    const span = Math.max(0, Math.min(end, this.largestSentNumber) - start + 1);
    return { honoured, repeated, ignored: Math.max(0, Math.min(span, 1 << 20) - honoured.length - repeated.length) };
  }

  /** A packet still in flight, by number. */
  get(packetNumber: number): SentPacket | undefined {
    return this.inFlight.get(packetNumber);
  }

  /** Declares one packet in flight lost (the caller has proof); undefined if it is not in flight. */
  markLost(packetNumber: number, cause: LossCause, now: number): SentPacket | undefined {
    const p = this.inFlight.get(packetNumber);
    if (!p) return undefined;
    this.declareLost(p, cause, now);
    return p;
  }

  /**
   * Stops tracking a packet still in flight whose content has arrived by another copy: it is
   * neither acknowledged nor lost, and whatever becomes of it says nothing (a receiver leaves
   * such a copy, marked C, unacknowledged). Without this it would arm the tail probe and, once a
   * later packet is acknowledged, be declared lost and cut the window.
   */
  forget(packetNumber: number): void {
    const p = this.inFlight.get(packetNumber);
    if (!p || !this.inFlight.delete(packetNumber)) return;
    this.bytesInFlightCount -= p.bytes;
  }

  /** Time the probe timeout fires, or undefined when nothing ack-eliciting is in flight. */
  ptoTime(ptoDurationMs: number): number | undefined {
    if (this.bytesInFlightCount === 0 || this.lastAckElicitingTime === undefined) return undefined;
    return this.lastAckElicitingTime + ptoDurationMs;
  }

  /**
   * On PTO every ack-eliciting packet older than one PTO is presumed lost: the receiver has said
   * nothing about it for longer than it should. At most `limit` packets, oldest first.
   */
  onPto(now: number, ptoDurationMs: number, limit: number): SentPacket[] {
    const lost: SentPacket[] = [];
    for (const p of this.inFlight.between(0, this.largestSentNumber)) {
      if (lost.length >= limit || p.timeSent + ptoDurationMs > now) break;
      if (departure(p) + ptoDurationMs > now) continue;
      lost.push(p);
    }
    // Always probe with something, even if every packet is younger than one PTO.
    const first = this.inFlight.first();
    if (lost.length === 0 && first !== undefined) lost.push(first);
    for (const p of lost) this.declareLost(p, 'pto', now);
    // The probe itself re-arms the timer from its own send time; until then, start from now.
    this.lastAckElicitingTime = now;
    return lost;
  }

  /** Forgets packets declared lost before `before`: an ACK that late says nothing useful. */
  pruneLost(before: number, srttMs: number): void {
    // Insertion order is declaration order, so the oldest come first.
    for (const p of this.recentlyLost.values()) {
      if ((p.lostAt ?? 0) >= before) break;
      this.recentlyLost.delete(p.packetNumber);
      this.countRealLoss(p, srttMs);
    }
  }

  /** A packet declared lost and never acknowledged; losses sent within one srtt are one episode. */
  private countRealLoss(p: SentPacket, srttMs: number): void {
    if (this.reorderSteps === 0 || p.timeSent < this.lastCountedLossSent + srttMs) return;
    this.lastCountedLossSent = p.timeSent;
    if (++this.realLossesSinceWiden < REORDER_DECAY_LOSSES) return;
    this.reorderSteps >>= 1;
    this.realLossesSinceWiden = 0;
  }

  private declareLost(p: SentPacket, cause: LossCause, now: number): void {
    if (!this.inFlight.delete(p.packetNumber)) return;
    this.bytesInFlightCount -= p.bytes;
    p.lossCause = cause;
    p.lostAt = now;
    if (p.lane !== undefined && !(p.packetNumber < (this.laneLatestLost[p.lane]?.packetNumber ?? -1))) this.laneLatestLost[p.lane] = p;
    this.recentlyLost.set(p.packetNumber, p);
    if (this.recentlyLost.size > this.maxRememberedLost) {
      const oldest = this.recentlyLost.keys().next();
      if (!oldest.done) this.recentlyLost.delete(oldest.value);
    }
  }

  /** How long after its send a packet is lost once a later one is acknowledged (RFC 9002 6.1.2). */
  lossDelay(rtt: RttEstimator): number {
    return Math.max(this.timeThresholdDelay(rtt) + this.reorderWindow(rtt), this.constants.granularityMs);
  }

  /** The time threshold alone, without the reordering window: what a tail's own timer allows. */
  timeThresholdDelay(rtt: RttEstimator): number {
    return this.constants.timeThreshold * Math.max(rtt.srtt, rtt.latest);
  }

  /** Visits members of `map` inside `r` without iterating a huge forged range integer by integer. */
  private collect(map: Map<number, SentPacket>, r: Range, visit: (p: SentPacket) => void): void {
    if (map.size === 0) return;
    const hits: SentPacket[] = [];
    if (r.end - r.start + 1 <= map.size) {
      for (let n = r.start; n <= r.end; n++) {
        const p = map.get(n);
        if (p) hits.push(p);
      }
    } else {
      for (const p of map.values()) {
        if (p.packetNumber >= r.start && p.packetNumber <= r.end) hits.push(p);
      }
    }
    for (const p of hits) visit(p);
  }
}
