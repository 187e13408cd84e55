import { BbrController } from '../congestion/bbr-controller.js';
import type { CongestionEstimator } from '../congestion/congestion-estimator.js';
import { DeliveryRateSampler } from '../congestion/delivery-rate.js';
import { Pacer } from '../congestion/pacer.js';
import type { Range } from '../recovery/range-set.js';
import type { RttEstimator } from '../recovery/rtt-estimator.js';
import { SentPacketTracker, departure, type LossCause, type ResendCause, type SentFragmentRef, type SentPacket } from '../recovery/sent-packet-tracker.js';
import type { ShardingDecision } from '../shard/sharding-policy.js';
import type { PduConfig } from './config.js';
import { DeadlineQueue } from './deadline-queue.js';
import { PduError } from './errors.js';
import type { RetransmissionStats } from './events.js';
import { OutgoingMessage, type SendOptions } from './outgoing-message.js';
import { RetransmitQueue, SendQueue } from './send-queue.js';

/** What the sending side reports upward. */
export interface OutgoingSink {
  delivered(message: OutgoingMessage, now: number): void;
  expired(message: OutgoingMessage, now: number): void;
  /** Per-fragment trace hook (sent, retransmitted, acked, lost, spurious). */
  fragmentEvent(event: string, packet: SentPacket, now: number, cause?: ResendCause): void;
}

export interface FragmentToSend {
  message: OutgoingMessage;
  sequence: number;
  /** Set for a retransmission: why, and the packet that was lost (or held). */
  cause?: ResendCause;
  lost?: SentPacket;
  /** The second copy of a duplicated retransmission. */
  copy?: boolean;
}

/** Why no data fragment can go now. */
export type SendBlock = 'idle' | 'window' | 'pacing';

/**
 * Whether a fragment about to be sealed ends the flight (nothing else is queued behind it), and
 * if so whether it carries the A flag asking the receiver to acknowledge it at once.
 */
export interface FlightEnd {
  tail: boolean;
  ackNow: boolean;
}

/**
 * Tail probe rounds in a row without any acknowledgement before tails are left to the probe
 * timeout and its backoff: two cover a lost tail and a lost first probe, and a dead path is not
 * hammered.
 */
const MAX_TAIL_PROBES = 2;

/** Tails remembered at once; an older one is left to the probe timeout. */
const MAX_TAILS = 32;

/**
 * Share of the smoothed RTT a datagram waits in its lane's stack before its fragment goes again
 * on a free lane (onHeld): past the few ms a stack takes to send a burst it was handed at once.
 */
const HELD_REROUTE_RTT = 1 / 8;

interface FlightTail {
  packet: SentPacket;
  /** Its acknowledgement comes at once (A), so the timer need not allow the peer's ACK delay. */
  ackNow: boolean;
}

const MAX_MESSAGE_NUMBER = 2 ** 30 - 1;

/**
 * The sending half of a session: messages from `send` until delivered or expired, fragment
 * scheduling (retransmissions first, then new fragments by priority), ACK and NACK processing,
 * RFC 9002 loss detection and probe timeout, and the congestion controller with its pacer.
 */
export class OutgoingStream {
  private readonly messages = new Map<number, OutgoingMessage>();
  private readonly queue = new SendQueue();
  private readonly retransmits = new RetransmitQueue();
  private readonly deadlines = new DeadlineQueue<OutgoingMessage>();
  readonly tracker: SentPacketTracker;
  private readonly rate = new DeliveryRateSampler();
  readonly controller: BbrController;
  private readonly pacer: Pacer;
  private pendingCancels: number[] = [];
  private nextMessageNumber = 0;
  private nextOrderedSequence = 0;
  private bufferedBytes = 0;
  private startedBytes = 0;
  private consecutivePtos = 0;
  /** Data packets that ended a flight, oldest first, until acknowledged or lost. */
  private readonly tails: FlightTail[] = [];
  private consecutiveTailProbes = 0;
  private lastAckNowAt = Number.NEGATIVE_INFINITY;
  /** Smoothed delivery rate while the path was the limit, or above it (bytes/ms; 0 until then). */
  private drainRate = 0;
  readonly retx: RetransmissionStats = {
    predictive: 0,
    timeout: 0,
    threshold: 0,
    lane: 0,
    tail: 0,
    pto: 0,
    held: 0,
    spurious: 0,
    spuriousBy: { nack: 0, threshold: 0, lane: 0, tail: 0, pto: 0 },
  };
  readonly counts = {
    nacksReceived: 0,
    nacksIgnored: 0,
    invalidAcks: 0,
    ptoCount: 0,
    messagesSent: 0,
    messagesDelivered: 0,
    messagesExpired: 0,
    /** Expired before their first fragment left: the link could not have carried them in time. */
    messagesShed: 0,
    payloadBytesSent: 0,
    payloadBytesResent: 0,
  };

  constructor(
    private readonly config: PduConfig,
    private readonly rtt: RttEstimator,
    private readonly estimator: CongestionEstimator,
    private readonly sink: OutgoingSink,
  ) {
    const r = config.recovery;
    this.tracker = new SentPacketTracker(
      { packetThreshold: r.packetThreshold, timeThreshold: r.timeThreshold, granularityMs: r.granularityMs },
      config.limits.maxRememberedLost,
      r.laneLossDetection,
    );
    const c = config.congestion;
    this.controller = new BbrController({
      maxDatagramSize: config.maxDatagramSize,
      initialWindowPackets: c.initialWindowPackets,
      minWindowPackets: c.minWindowPackets,
      windowRttFloorMs: c.windowRttFloorMs,
      maxPacingRate: c.maxPacingRate / 8000,
      minPacingRate: c.minPacingRate / 8000,
      queueTargetPackets: c.queueTargetPackets,
    });
    this.pacer = new Pacer(c.pacingBurstPackets * config.maxDatagramSize, c.pacingTimerSlackMs);
  }

  get sendBufferBytes(): number {
    return this.bufferedBytes;
  }

  get retransmitBytes(): number {
    return this.startedBytes;
  }

  get unsettledMessages(): number {
    return this.messages.size;
  }

  cwnd(): number {
    return this.controller.window(this.rtProp(), this.rtt.srtt);
  }

  private rtProp(): number {
    return this.controller.minRtt(this.rtt.minRtt);
  }

  pacingRate(): number {
    return this.controller.pacingRate(this.rtt.srtt);
  }

  /** Accepts a message; throws PduError on a full buffer or a bad argument. */
  enqueue(id: (messageNumber: number) => string, data: Uint8Array, opts: SendOptions, now: number): OutgoingMessage {
    const limits = this.config.limits;
    if (!(data instanceof Uint8Array)) throw new PduError('invalid-argument', 'data must be a Uint8Array');
    if (data.length > limits.maxMessageBytes) {
      throw new PduError('too-large', `message of ${data.length} bytes exceeds limits.maxMessageBytes (${limits.maxMessageBytes})`);
    }
    if (opts.deadlineMs !== undefined && !(opts.deadlineMs >= 0 && Number.isFinite(opts.deadlineMs))) {
      throw new PduError('invalid-argument', 'deadlineMs must be a finite number >= 0 (leave it out for no deadline)');
    }
    if (opts.priority !== undefined && !Number.isFinite(opts.priority)) throw new PduError('invalid-argument', 'priority must be finite');
    if (this.bufferedBytes + data.length > limits.maxSendBufferBytes || this.messages.size >= limits.maxSendMessages) {
      throw new PduError('backpressure', 'send buffer full: wait for delivered or expired events');
    }
    const ordered = opts.ordered ?? true;
    if (this.nextMessageNumber > MAX_MESSAGE_NUMBER || (ordered && this.nextOrderedSequence > MAX_MESSAGE_NUMBER)) {
      throw new PduError('exhausted', 'message numbers exhausted: start a new session');
    }
    const messageNumber = this.nextMessageNumber++;
    const message = new OutgoingMessage(
      id(messageNumber),
      messageNumber,
      data,
      opts.reliable ?? true,
      ordered ? this.nextOrderedSequence++ : undefined,
      opts.deadlineMs === undefined ? undefined : now + opts.deadlineMs,
      opts.priority ?? 0,
    );
    this.messages.set(messageNumber, message);
    this.bufferedBytes += data.length;
    this.queue.push(message);
    if (message.deadline !== undefined) this.deadlines.push(message.deadline, message);
    this.counts.messagesSent++;
    return message;
  }

  /**
   * The next data fragment to send at `now`, or why none can go. `decide` fixes the cut of a
   * message whose first fragment is about to leave.
   */
  nextFragment(now: number, decide: (m: OutgoingMessage) => ShardingDecision): FragmentToSend | SendBlock {
    const hasRetransmit = this.retransmits.hasLive();
    const fresh = hasRetransmit ? undefined : this.nextFreshMessage(now);
    if (!hasRetransmit && !fresh) {
      this.rate.markAppLimited(this.tracker.bytesInFlight);
      return 'idle';
    }
    const size = this.config.maxDatagramSize;
    if (this.tracker.bytesInFlight + size > this.cwnd()) return 'window';
    if (this.pacer.sendTime(size, this.pacingRate(), now) > now) return 'pacing';
    if (hasRetransmit) {
      const entry = this.retransmits.pop()!;
      if (entry.message.duplicateResends && !entry.copy && shownLost(entry.cause)) this.retransmits.push({ ...entry, copy: true });
      return { message: entry.message, sequence: entry.sequence, cause: entry.cause, lost: entry.lost, copy: entry.copy };
    }
    const message = fresh!;
    if (message.state === 'queued') {
      message.start(decide(message));
      this.startedBytes += message.data.length;
    }
    return { message, sequence: message.takeUnsent() };
  }

  /** When a fragment waiting only on the pacer may go (undefined if none waits on it). */
  pacingReleaseTime(now: number): number | undefined {
    if (!this.retransmits.hasLive() && !this.nextFreshMessage(now)) return undefined;
    const size = this.config.maxDatagramSize;
    if (this.tracker.bytesInFlight + size > this.cwnd()) return undefined;
    const t = this.pacer.sendTime(size, this.pacingRate(), now);
    return t > now ? t : undefined;
  }

  /**
   * Called with the fragment `nextFragment` just gave, before it is sealed. Nothing else queued
   * makes it the tail of the flight: if it is lost, no later packet's acknowledgement will reveal
   * it in time, and only the probe timeout (which allows for the peer's ACK delay and four RTT
   * deviations) would. So the tail asks for an immediate ACK and is probed once that ACK is a
   * round trip overdue (RACK-TLP's tail loss probe, RFC 8985 section 7, made tighter by the A
   * flag). A retransmission always asks, tail or not: losing it again is what makes a message
   * the slowest. Both copies of a duplicated pair ask; the second is marked a copy (C), and a
   * receiver that holds the fragment already (the first arrived, and its ACK covers the pair)
   * does not acknowledge it. New data asks only as a tail, at most once per quarter of a smoothed RTT, so that a
   * stream of small messages, each a tail, does not draw an ACK for every datagram; a tail
   * without A is probed after the peer's ACK delay too.
   */
  flightEnd(f: FragmentToSend, now: number): FlightEnd {
    const tail = !this.retransmits.hasLive() && this.nextFreshMessage(now) === undefined;
    return { tail, ackNow: f.cause !== undefined || (tail && now - this.lastAckNowAt >= this.rtt.srtt / 4) };
  }

  onDataSent(f: FragmentToSend, packetNumber: number, bytes: number, now: number, end: FlightEnd, lane: number | undefined): SentPacket {
    const packet = this.record(packetNumber, bytes, now, true, lane);
    packet.fragment = { messageNumber: f.message.messageNumber, sequence: f.sequence };
    // A tail sent within the last quarter RTT is revealed by this packet's ACK nearly as soon as
    // by its own: it needs no probe of its own (in a stream of small messages, each is a tail).
    // Tails are in send order, so those sent that recently are the last ones.
    const recent = now - this.rtt.srtt / 4;
    while (this.tails.length > 0 && this.tails[this.tails.length - 1]!.packet.timeSent >= recent) this.tails.pop();
    if (end.tail) {
      this.tails.push({ packet, ackNow: end.ackNow });
      if (this.tails.length > MAX_TAILS) this.tails.shift();
    }
    if (end.ackNow) this.lastAckNowAt = now;
    if (f.copy) packet.pairedWith = f.message.latestPacketOf(f.sequence);
    f.message.onSent(f.sequence, packetNumber);
    const payload = f.message.fragmentLength(f.sequence);
    if (f.cause && f.lost) {
      // A held packet's copy is no resend of a loss: should the original be declared lost and
      // then acknowledged, no resend of it was needless.
      if (f.cause !== 'held') f.lost.retransmitted = true;
      this.counts.payloadBytesResent += payload;
      if (f.cause === 'nack') this.retx.predictive++;
      else {
        this.retx.timeout++;
        this.retx[f.cause]++;
      }
      this.sink.fragmentEvent('retransmitted', packet, now, f.cause);
    } else {
      this.counts.payloadBytesSent += payload;
      this.sink.fragmentEvent('sent', packet, now);
    }
    return packet;
  }

  /** Records a control packet; one carrying CANCEL is ack-eliciting and its cancels are resent if lost. */
  onControlSent(packetNumber: number, bytes: number, cancels: number[], now: number, lane: number | undefined): SentPacket {
    const packet = this.record(packetNumber, bytes, now, cancels.length > 0, lane);
    if (cancels.length > 0) packet.cancels = cancels;
    return packet;
  }

  /**
   * The stack below still holds `packet` at `now` (PduEngine.reportLaneBacklog): its timers count
   * from its departure. Returns whether its fragment may go again on a free lane (copyHeld): it
   * has waited an eighth of a round trip, past the few ms a stack takes to send a burst it was
   * handed at once, and was not copied before.
   */
  onHeld(packet: SentPacket, now: number): boolean {
    this.tracker.onHeld(packet, now, this.rtt.srtt);
    // A copy held in turn found no free lane after all: it is not copied again.
    if (packet.rerouted || packet.pairedWith !== undefined || !packet.fragment) return false;
    if (now - packet.timeSent < this.rtt.srtt * HELD_REROUTE_RTT) return false;
    return this.tracker.get(packet.packetNumber) === packet;
  }

  /**
   * Sends a held packet's fragment again, once, as the second copy of a pair (C), cause `held`:
   * behind an SCTP window it waits for a SACK, a round trip, and its message with it; the copy
   * takes a free lane and arrives first. Should the held original then be lost on the wire, the
   * copy has already made good what would take another round trip to find. Returns whether it
   * was queued (not when its message no longer needs it).
   */
  copyHeld(packet: SentPacket): boolean {
    const { messageNumber, sequence } = packet.fragment!;
    const message = this.messages.get(messageNumber);
    if (!message || !message.reliable || message.state === 'lapsed' || message.isAcked(sequence)) return false;
    if (message.latestPacketOf(sequence) !== packet.packetNumber) return false;
    packet.rerouted = true;
    this.retransmits.push({ message, sequence, cause: 'held', lost: packet, copy: true });
    return true;
  }

  /**
   * The receiver's answer to our CANCEL: a lapsed message it had whole is delivered, any other
   * expired, so both sides report the same. Answers for messages settled already are ignored.
   */
  onCancelAnswers(completed: readonly number[], abandoned: readonly number[], now: number): void {
    for (const n of completed) {
      const message = this.messages.get(n);
      if (message?.state === 'lapsed') this.deliver(message, now);
    }
    for (const n of abandoned) {
      const message = this.messages.get(n);
      if (message?.state === 'lapsed') this.expire(message, now);
    }
  }

  /**
   * A CANCEL was acknowledged but its answer has not come (lost on the way, while a later ACK
   * got through): ask again. The answers in a packet are read before its ACK.
   */
  private askAgain(cancels: readonly number[]): void {
    for (const n of cancels) if (this.messages.get(n)?.state === 'lapsed') this.pendingCancels.push(n);
  }

  hasCancels(): boolean {
    return this.pendingCancels.length > 0;
  }

  takeCancels(max: number): number[] {
    return this.pendingCancels.splice(0, max);
  }

  onAck(largest: number, ranges: readonly Range[], ackDelayMs: number, now: number): void {
    const result = this.tracker.onAck(largest, ranges, now);
    if (!result) {
      this.counts.invalidAcks++;
      return;
    }
    // A peer repeats its latest ACK frame in every control packet it sends, however old: the
    // frame then reports a delay beyond maxAckDelay, which the estimator caps. For a packet
    // declared lost that is the usual case (its first ACK was lost), and the sample would be the
    // packet's age, not a round trip.
    const staleSample = result.rttSampleFromLost === true && ackDelayMs > this.config.ack.maxAckDelayMs;
    if (result.rttSample !== undefined && !staleSample) {
      // The loss timers count from when a packet left (SentPacket.heldAt), so they learn the round
      // trip from then; the congestion controller sees the wait below PDU as part of the path. A
      // hold is seen a little late (a report crosses threads), so a held packet's sample may not
      // set a new minimum.
      const pathSample = result.pathRttSample! < result.rttSample && this.rtt.hasSample() ? Math.max(result.pathRttSample!, this.rtt.minRtt) : result.rttSample;
      this.rtt.update(pathSample, Math.min(ackDelayMs, this.config.ack.maxAckDelayMs));
      this.controller.onRttSample(result.rttSample, now);
    }
    for (const p of result.newlyAcked) {
      this.estimator.onPacketOutcome(false);
      this.sink.fragmentEvent('acked', p, now);
      if (p.fragment) this.onFragmentAcked(p.fragment, now);
      if (p.cancels) this.askAgain(p.cancels);
    }
    for (const p of result.spurious) {
      this.estimator.onSpuriousLoss();
      if (p.fragment && p.retransmitted) {
        this.retx.spurious++;
        this.retx.spuriousBy[p.lossCause ?? 'threshold']++;
        this.sink.fragmentEvent('spurious', p, now, p.lossCause);
      }
      if (p.fragment) this.onFragmentAcked(p.fragment, now);
    }
    if (result.newlyAcked.length > 0) {
      this.consecutivePtos = 0;
      this.consecutiveTailProbes = 0;
      // A sent packet carries its own rate snapshot: the sampler reads it in place.
      const sample = this.rate.onAck(result.newlyAcked, now, this.rtProp());
      // App-limited samples understate the path: they count only when they raise the rate (as
      // for BBR's estimate), or a dip followed by light traffic would keep shedding for good.
      if (sample && (!sample.appLimited || sample.rate > this.drainRate)) {
        this.drainRate += (sample.rate - this.drainRate) * (this.drainRate > 0 ? 0.25 : 1);
      }
      this.controller.onAck(sample, this.rate.delivered, this.tracker.bytesInFlight, now, this.rtProp());
    }
    this.onLost(result.laneLost, now);
    this.onLost(this.tracker.detectLosses(now, this.rtt), now);
    this.tracker.pruneLost(now - Math.max(1000, 4 * this.rtt.srtt), this.rtt.srtt);
  }

  /**
   * When the first tail's acknowledgement is overdue: a loss delay after it left (as for a
   * packet with a later one acknowledged), measured on the round trip the tail itself should
   * take (it may have joined a queue behind its own flight), and no sooner than the probe
   * timeout without its ACK-delay term (srtt + 4 rttvar: on a path whose queue swings, such as a
   * capacity-limited cellular one, a tighter timer resent a quarter of everything needlessly);
   * plus the peer's ACK delay when the tail was sent without A. A tail stays a tail when later
   * packets follow it a while later: their acknowledgements would reveal its loss a round trip
   * after its own timer. Undefined without a tail in flight, or when the probes are spent.
   */
  private tailProbeTime(): number | undefined {
    if (this.consecutiveTailProbes >= MAX_TAIL_PROBES) return undefined;
    this.keepTails((t) => this.tracker.get(t.packet.packetNumber) !== undefined);
    let first: number | undefined;
    for (const t of this.tails) first = earliest(first, this.tailDue(t));
    return first;
  }

  private tailDue(t: FlightTail): number {
    const r = this.rtt;
    const roundTrip = Math.max(this.tracker.timeThresholdDelay(r), this.config.recovery.timeThreshold * this.expectedRoundTrip(t.packet), r.srtt + 4 * r.rttvar);
    return departure(t.packet) + roundTrip + (t.ackNow ? 0 : this.config.ack.maxAckDelayMs);
  }

  /**
   * Resends the fragments of the overdue tails. A message without retransmission (best effort)
   * is not probed: declaring its tail lost would give it up while it may well have arrived.
   */
  private probeTails(now: number): void {
    const due: FlightTail[] = [];
    this.keepTails((t) => {
      if (this.tailDue(t) > now) return true;
      due.push(t);
      return false;
    });
    const lost: SentPacket[] = [];
    for (const t of due) {
      if (!this.messages.get(t.packet.fragment!.messageNumber)?.reliable) continue;
      const p = this.tracker.markLost(t.packet.packetNumber, 'tail', now);
      if (p) lost.push(p);
    }
    if (lost.length === 0) return;
    this.consecutiveTailProbes++;
    this.onLost(lost, now);
  }

  /** Keeps the tails `keep` accepts, in place: pruning runs on every `nextTimeout`, not worth a new array each time. */
  private keepTails(keep: (t: FlightTail) => boolean): void {
    let kept = 0;
    for (const t of this.tails) if (keep(t)) this.tails[kept++] = t;
    this.tails.length = kept;
  }

  onNack(ranges: readonly Range[], now: number): void {
    const minAge = this.config.recovery.nackMinAgeRttFraction * this.rtt.minRtt;
    const minTailAge = (p: SentPacket) => this.expectedRoundTrip(p);
    for (const r of ranges) {
      const { honoured, repeated, ignored } = this.tracker.onNackRange(r.start, r.end, now, minAge, minTailAge);
      this.counts.nacksReceived += honoured.length + repeated.length + ignored;
      this.counts.nacksIgnored += ignored;
      this.onLost(honoured, now);
      for (const p of repeated) {
        const copies = this.latestCopiesLost(p, now, minTailAge);
        if (copies.length > 0) this.onLost(copies, now);
        else this.counts.nacksIgnored++;
      }
    }
  }

  /**
   * The receiver NACKs again a packet we already resent: its content still has not arrived.
   * The copy is lost too if the peer has since acknowledged a later packet (the ACK in the same
   * datagram was applied first: on a FIFO path the copy would have arrived before it), or, when
   * nothing later arrived, if it left at least its own expected round trip ago. So is the first
   * copy of a duplicated pair, which left just before it.
   */
  private latestCopiesLost(p: SentPacket, now: number, minTailAgeMs: (p: SentPacket) => number): SentPacket[] {
    if (!p.fragment) return [];
    const message = this.messages.get(p.fragment.messageNumber);
    if (!message || message.isAcked(p.fragment.sequence)) return [];
    const copy = this.tracker.get(message.latestPacketOf(p.fragment.sequence));
    if (!copy) return [];
    if (copy.packetNumber > this.tracker.largestAcked && now - departure(copy) < minTailAgeMs(copy)) return [];
    const first = copy.pairedWith !== undefined ? this.tracker.markLost(copy.pairedWith, 'nack', now) : undefined;
    const latest = this.tracker.markLost(copy.packetNumber, 'nack', now)!;
    return first ? [first, latest] : [latest];
  }

  onTimeout(now: number): void {
    this.expireDue(now);
    const lossTime = this.tracker.lossTime(this.rtt);
    if (lossTime !== undefined && lossTime <= now) this.onLost(this.tracker.detectLosses(now, this.rtt), now);
    const tailTime = this.tailProbeTime();
    if (tailTime !== undefined && tailTime <= now) this.probeTails(now);
    const ptoTime = this.tracker.ptoTime(this.ptoDuration(this.consecutivePtos));
    if (ptoTime !== undefined && ptoTime <= now) {
      this.counts.ptoCount++;
      const lost = this.tracker.onPto(now, this.ptoDuration(0), this.config.recovery.ptoBurstPackets);
      this.consecutivePtos++;
      this.onLost(lost, now);
    }
  }

  /** Earliest sender timer: message deadline, loss time, tail probe, PTO. */
  nextTimeout(): number | undefined {
    return earliest(
      this.deadlines.peekTime(),
      this.tracker.lossTime(this.rtt),
      this.tailProbeTime(),
      this.tracker.ptoTime(this.ptoDuration(this.consecutivePtos)),
    );
  }

  /** Abandons every unsettled message (the channel is closing). */
  abandonAll(now: number): void {
    for (const message of [...this.messages.values()]) this.expire(message, now);
  }

  onChannelQueue(bytes: number): void {
    this.controller.onChannelQueue(bytes);
  }

  /**
   * The round trip packet `p` itself should take: min RTT plus the queue it joined (bytes in
   * flight ahead of it beyond one BDP, drained at the bottleneck rate), plus timer slack. Without a later arrival to prove a packet lost, a NACK for it means something
   * only after that long: sooner, it may still be on its way.
   */
  private expectedRoundTrip(p: SentPacket): number {
    const minRtt = this.rtt.minRtt;
    const bandwidth = this.controller.bandwidth;
    const queueMs = bandwidth > 0 ? Math.max(0, (p.priorInFlight ?? 0) / bandwidth - minRtt) : Math.max(0, this.rtt.latest - minRtt);
    return minRtt + queueMs + 2 * this.config.recovery.granularityMs;
  }

  private ptoDuration(backoff: number): number {
    const r = this.config.recovery;
    return this.rtt.pto(this.config.ack.maxAckDelayMs, backoff, r.granularityMs, r.minPtoMs, r.maxPtoMs);
  }

  private record(packetNumber: number, bytes: number, now: number, ackEliciting: boolean, lane: number | undefined): SentPacket {
    const snapshot = this.rate.snapshot(now, bytes, this.tracker.bytesInFlight);
    const packet: SentPacket = {
      packetNumber,
      timeSent: now,
      bytes,
      ackEliciting,
      delivered: snapshot.delivered,
      deliveredTime: snapshot.deliveredTime,
      firstSentTime: snapshot.firstSentTime,
      appLimited: snapshot.appLimited,
      priorInFlight: this.tracker.bytesInFlight,
    };
    if (lane !== undefined) packet.lane = lane;
    this.tracker.onSent(packet);
    if (ackEliciting) this.pacer.onSent(bytes, this.pacingRate(), now);
    return packet;
  }

  private nextFreshMessage(now: number): OutgoingMessage | undefined {
    let message = this.queue.peek();
    // Above capacity a deadline message that cannot arrive in time is given up before more of
    // it is sent: whole, before it starts (shed), or once it falls behind. Its bytes would
    // only push the messages behind it past their deadlines too.
    while (message && !this.deadlineReachable(message, now)) {
      if (message.state === 'queued') this.counts.messagesShed++;
      this.expire(message, now);
      message = this.queue.peek();
    }
    // Beyond the retransmission budget, a new message waits until older ones are acknowledged.
    if (message && message.state === 'queued' && this.startedBytes > 0 && this.startedBytes + message.data.length > this.config.limits.maxRetransmitBytes) {
      return undefined;
    }
    return message;
  }

  /**
   * Whether the rest of `message`, sent from now on, would probably reach the peer before its
   * deadline: the bytes in flight beyond one BDP drain first (they wait in the queue below us),
   * then its unsent bytes at the path's rate less the loss, then half a round trip, and one more
   * round trip for recovery as often as loss will hit one of its datagrams. The rate is the
   * bottleneck estimate, or the smoothed delivery rate when the path was the limit and that is
   * lower (the estimate is a max filter, and the channel below may drain slower than it says).
   * Without any rate it always tries.
   */
  private deadlineReachable(message: OutgoingMessage, now: number): boolean {
    if (message.deadline === undefined) return true;
    const bandwidth = this.drainRate > 0 ? Math.min(this.controller.bandwidth, this.drainRate) : this.controller.bandwidth;
    if (!(bandwidth > 0)) return true;
    const unsent = message.state === 'queued' ? message.data.length : message.unsentBytes();
    const minRtt = this.rtProp();
    const loss = Math.min(0.5, this.estimator.lossRate);
    const queued = Math.max(0, this.tracker.bytesInFlight - bandwidth * minRtt);
    const transferMs = (queued + unsent / (1 - loss)) / bandwidth;
    const datagrams = Math.ceil(unsent / this.config.maxDatagramSize);
    const recoveryMs = Math.min(1, datagrams * loss) * this.rtt.srtt;
    return now + transferMs + minRtt / 2 + recoveryMs <= message.deadline;
  }

  private onFragmentAcked({ messageNumber, sequence }: SentFragmentRef, now: number): void {
    const message = this.messages.get(messageNumber);
    if (!message) return;
    // The second copy of a duplicated resend still in flight is forgotten: a receiver holding
    // the fragment leaves it unacknowledged (PROTOCOL.md 6.1, C), so tracked it would draw a
    // tail probe, and then be declared lost behind later packets and cut the window. It is the
    // fragment's latest copy: while it is in flight nothing queues the fragment again (onLost
    // waits for it). Any other copy is acknowledged as usual and still gives an RTT sample.
    const latest = this.tracker.get(message.latestPacketOf(sequence));
    if (latest?.pairedWith !== undefined) this.tracker.forget(latest.packetNumber);
    if (message.markAcked(sequence)) this.deliver(message, now);
  }

  private deliver(message: OutgoingMessage, now: number): void {
    message.state = 'delivered';
    this.release(message);
    this.counts.messagesDelivered++;
    this.sink.delivered(message, now);
  }

  /** True when `p` is the first copy of a duplicated resend and the second is still in flight. */
  private laterCopyInFlight(p: SentPacket, message: OutgoingMessage): boolean {
    const latest = this.tracker.get(message.latestPacketOf(p.fragment!.sequence));
    return latest !== undefined && latest.pairedWith === p.packetNumber;
  }

  private onLost(lost: readonly SentPacket[], now: number): void {
    for (const p of lost) {
      this.estimator.onPacketOutcome(true);
      this.controller.onLoss(p.bytes);
      this.sink.fragmentEvent('lost', p, now, p.lossCause);
      // A lost CANCEL goes again whatever became of its messages: the receiver needs the
      // numbers of expired ones too, to skip their ordered slots.
      if (p.cancels) this.pendingCancels.push(...p.cancels);
      if (!p.fragment) continue;
      const message = this.messages.get(p.fragment.messageNumber);
      if (!message || message.isAcked(p.fragment.sequence) || message.state === 'lapsed') continue;
      // The first copy of a duplicated resend lost while the second, sent just after it (on
      // another stripe), is still on its way: that one may well arrive, and its own loss, if it
      // comes, queues the fragment. (A second copy found lost queues it at once: the first,
      // older, is then as overdue, as when a tail probe finds both lost.)
      if (this.laterCopyInFlight(p, message)) continue;
      // Best effort: an unreliable message is not resent. Loss declarations can be wrong (a late
      // ACK, a probe timeout): once every fragment is out, the receiver may hold the whole
      // message, so it lapses like a message at its deadline (CANCEL, then the receiver's
      // answer) and both sides agree; a message not yet fully sent expires now.
      if (!message.reliable) {
        if (message.state === 'sent') this.lapse(message, now);
        else this.expire(message, now);
        continue;
      }
      this.retransmits.push({ message, sequence: p.fragment.sequence, cause: p.lossCause ?? 'threshold', lost: p });
    }
  }

  private expireDue(now: number): void {
    for (let m = this.deadlines.popDue(now); m; m = this.deadlines.popDue(now)) {
      if (m.settled) continue;
      // A message that lapsed before its deadline (a best-effort one whose fragment was
      // declared lost) still waits for its answer: its own entry comes at answerDueAt.
      if (m.state === 'lapsed') {
        if (now >= m.answerDueAt) this.expire(m, now);
      } else if (m.state === 'sent') this.lapse(m, now);
      else this.expire(m, now);
    }
  }

  /**
   * The deadline passed with every fragment sent: stop sending, CANCEL, and settle on the
   * receiver's answer (or on the acknowledgement of every fragment, if that comes first). The
   * receiver delivers a message only if it completes before the deadline (as its own clock
   * places it) and answers whether it had it whole; ACKs alone cannot tell, since every one
   * listing a last fragment may be lost, and later ones leave old ranges out. The CANCEL is
   * sent again until answered (its packet lost, or acknowledged without the answer); a path
   * that returns nothing for `cancelAnswerTimeoutPtos` probe timeouts expires it anyway.
   */
  private lapse(message: OutgoingMessage, now: number): void {
    message.state = 'lapsed';
    this.pendingCancels.push(message.messageNumber);
    message.answerDueAt = now + this.config.recovery.cancelAnswerTimeoutPtos * this.ptoDuration(0);
    this.deadlines.push(message.answerDueAt, message);
  }

  private expire(message: OutgoingMessage, now: number): void {
    const lapsed = message.state === 'lapsed';
    message.state = 'expired';
    this.release(message);
    // Cancel even a message never started: the receiver needs its number to skip its ordered slot.
    if (!lapsed) this.pendingCancels.push(message.messageNumber);
    this.counts.messagesExpired++;
    this.sink.expired(message, now);
  }

  private release(message: OutgoingMessage): void {
    this.messages.delete(message.messageNumber);
    this.bufferedBytes -= message.data.length;
    if (message.totalFragments > 0) this.startedBytes -= message.data.length;
  }
}

export function earliest(...times: (number | undefined)[]): number | undefined {
  let t: number | undefined;
  for (const x of times) if (x !== undefined && (t === undefined || x < t)) t = x;
  return t;
}

/**
 * Whether a loss cause shows the packet lost (a later one acknowledged past it, or the receiver
 * asking), rather than only suspecting it: the tail probe and the PTO fire on a missing ACK,
 * and on werift's striped aim row half to two thirds of tail probes found the packet had arrived. A
 * duplicated resend's second copy pays only when the first is really needed, so resends on
 * suspicion go once (`recovery.duplicateRetransmissions`).
 */
function shownLost(cause: ResendCause): boolean {
  return cause !== 'tail' && cause !== 'pto' && cause !== 'held';
}
