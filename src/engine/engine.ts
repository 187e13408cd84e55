import { CongestionEstimator } from '../congestion/congestion-estimator.js';
import type { CongestionReport, CongestionSample } from '../congestion/congestion-report.js';
import { HeuristicPredictor } from '../predict/heuristic-predictor.js';
import { defaultModelPredictor } from '../predict/model-default.js';
import type { LossPredictor } from '../predict/loss-predictor.js';
import { TimeoutPredictor } from '../predict/timeout-predictor.js';
import type { CompletedMessage } from '../reassembly/incoming-messages.js';
import type { NackDecision, PathContext } from '../recovery/nack-scheduler.js';
import { RttEstimator } from '../recovery/rtt-estimator.js';
import { isLane, MAX_LANES, type ResendCause, type SentPacket } from '../recovery/sent-packet-tracker.js';
import { duplicatesResends } from '../shard/redundancy-policy.js';
import { ShardingPolicy, type ShardingDecision } from '../shard/sharding-policy.js';
import type { ControlFrame } from '../wire/types.js';
import { MAX_OUTSTANDING_PROBES, resolveConfig, STARTUP_PROBE_SPACING_MS, type PduConfig, type PduEngineOptions } from './config.js';
import { PduError } from './errors.js';
import type { EngineState, EngineStats, ExpiryReason, PduEvent } from './events.js';
import { IncomingStream } from './incoming-stream.js';
import { LaneLog, type LaneHold } from './lane-log.js';
import type { OutgoingMessage, SendOptions } from './outgoing-message.js';
import { earliest, OutgoingStream, type FragmentToSend } from './outgoing-stream.js';
import { PeerClock } from './session-clock.js';
import { fromWireRanges, SessionLink, type ControlBatch } from './session-link.js';
import { TraceRecorder, type TraceRecord } from './trace-recorder.js';

const CLOSE_NO_ERROR = 0x00;
/** CANCEL and CANCEL_RESULT numbers per datagram at most (the room left decides below that). */
const MAX_CANCELS_PER_PACKET = 128;
/** Worst-case bytes of a message number (a varint below 2^30) and of a list's count (below 2^14). */
const NUMBER_BYTES = 4;
const COUNT_BYTES = 2;
/** Internal errors in a row, with no poll succeeding between them, after which the session fails. */
const MAX_INTERNAL_ERRORS_IN_A_ROW = 16;
/**
 * Held packets older than this many round trips are not looked at: their credit (a round trip
 * at most) and its revocation have played out by the time their loss timers run.
 */
const HELD_LOOKBACK_RTT = 3;
/** Copies of held fragments a free lane takes per report when its stack cannot tell its room. */
const UNTOLD_ROOM_DATAGRAMS = 2;

/**
 * PDU's sans-IO protocol engine (quinn-proto's `Connection` in spirit). It is handed datagrams
 * and the time, and hands back datagrams to send, events, and when it next wants to be woken.
 * It never reads a clock or sets a timer: every entry point takes `now` (ms, monotonic) or uses
 * the latest time it was given.
 *
 * Usage: after any `connect`/`send`/`handleDatagram`/`handleTimeout`, drain `pollTransmit()`
 * and `pollEvent()` until undefined, then wake at `nextTimeout()` with `handleTimeout(now)`.
 */
export class PduEngine {
  readonly config: PduConfig;
  private readonly link: SessionLink;
  private readonly rtt: RttEstimator;
  private readonly estimator: CongestionEstimator;
  private readonly peerClock = new PeerClock();
  private readonly sharding: ShardingPolicy;
  private readonly predictor: LossPredictor;
  private readonly predictorFallback: string | undefined;
  private readonly outgoing: OutgoingStream;
  private readonly incoming: IncomingStream;
  private readonly trace: TraceRecorder;
  private readonly events: PduEvent[] = [];
  private eventHead = 0;
  /** Datagrams that bypass congestion control: handshake flights, VERSION answers, the final CLOSE. */
  private readonly urgent: Uint8Array[] = [];
  private engineState: EngineState = 'idle';
  private now = 0;
  /** The lane of the datagram being polled (pollTransmit). */
  private lane: number | undefined;
  /** The packet recorded for the datagram being polled, if the tracker follows it. */
  private polledPacket: SentPacket | undefined;
  private readonly laneLog = new LaneLog();
  private handshakeStartedAt = 0;
  private nextHelloAt = Number.POSITIVE_INFINITY;
  private helloInterval: number;
  private lastReceiveAt = 0;
  private nextProbeAt = Number.POSITIVE_INFINITY;
  private nextProbeId = 0;
  private readonly outstandingProbes = new Map<number, number>();
  private lastAckRttSamples = 0;
  private startupProbesLeft = 0;
  private pendingEcho: { id: number; echoedSendTime: number; receivedAt: number } | undefined;
  private nextReportAt = Number.POSITIVE_INFINITY;
  private activitySinceReport = false;
  private lastReport: CongestionReport;
  private lastRegime: { sharded: boolean; fragmentSize: number } | undefined;
  private closingReason: ExpiryReason = 'deadline';
  private readonly shardingCounts = { messagesSharded: 0, messagesStandard: 0, messagesDuplicatingResends: 0, lastFragmentSize: 0, lastSharded: false };
  private readonly traffic = {
    datagramsSent: 0,
    datagramsReceived: 0,
    wireBytesSent: 0,
    wireBytesReceived: 0,
    dataPacketsSent: 0,
    controlPacketsSent: 0,
  };
  private internalErrors = 0;
  /** Internal errors since a poll last succeeded: the same one again and again is a loop. */
  private internalErrorsInARow = 0;

  constructor(options: PduEngineOptions) {
    this.config = resolveConfig(options);
    const c = this.config;
    this.link = new SessionLink(c);
    this.rtt = new RttEstimator(c.recovery.initialRttMs);
    this.estimator = new CongestionEstimator({
      lossAtFull: c.congestion.lossAtFullSeverity,
      delayAtFull: c.congestion.delayAtFullSeverity,
      queueAtFull: c.congestion.queueAtFullSeverity,
    });
    this.sharding = new ShardingPolicy(c.sharding);
    const chosen = choosePredictor(c);
    this.predictor = chosen.predictor;
    this.predictorFallback = chosen.fallback;
    this.trace = new TraceRecorder(c.trace.maxEvents);
    this.helloInterval = c.timers.handshakeRetryMs;
    this.outgoing = new OutgoingStream(c, this.rtt, this.estimator, {
      delivered: (m) => this.emit({ type: 'delivered', id: m.id }),
      expired: (m) => this.emit({ type: 'expired', id: m.id, direction: 'outgoing', reason: this.closingReason }),
      fragmentEvent: (event, p, now, cause) => this.traceSent(event, p, now, cause),
    });
    this.incoming = new IncomingStream(c, this.predictor, this.link.maxPayload, {
      message: (m, now) => this.onMessage(m, now),
      cancelled: (n, now) => {
        this.emit({ type: 'expired', id: this.link.uuid('receive', n), direction: 'incoming', reason: 'cancelled-by-peer' });
        this.traceReceived('expired', undefined, now, { messageNumber: n, sequence: -1 });
      },
      missedDeadline: (n, now) => {
        this.emit({ type: 'expired', id: this.link.uuid('receive', n), direction: 'incoming', reason: 'deadline' });
        this.traceReceived('expired', undefined, now, { messageNumber: n, sequence: -1 });
      },
      fragmentEvent: (event, pn, now, f) => this.traceReceived(event, pn, now, f),
      nackDecision: (d, now) => this.traceNack(d, now),
    });
    this.lastReport = this.buildReport(0);
  }

  // ---- application surface -------------------------------------------------------------------

  get state(): EngineState {
    return this.engineState;
  }

  /** Starts the handshake: our HELLO goes out now and is re-sent until the session is established. */
  connect(now: number): void {
    this.advance(now);
    if (this.engineState !== 'idle') return;
    this.engineState = 'handshaking';
    this.handshakeStartedAt = now;
    this.urgent.push(this.link.hello(now));
    this.nextHelloAt = now + this.helloInterval;
  }

  /**
   * Queues a message and returns its UUID (the peer's `message` event carries the same id).
   * `now` defaults to the latest time the engine was given. Throws PduError: `not-connected`
   * before the handshake produced keys (UUIDs derive from them), `backpressure` when the send
   * buffer is full, `too-large`, `closed`, `invalid-argument`.
   */
  send(data: Uint8Array, opts?: SendOptions, now?: number): string {
    if (now !== undefined) this.advance(now);
    if (this.engineState === 'closed' || this.engineState === 'failed') throw new PduError('closed', 'the session is closed');
    if (this.engineState !== 'keyed' && this.engineState !== 'established') {
      throw new PduError('not-connected', 'the handshake has not finished');
    }
    const message = this.outgoing.enqueue((n) => this.link.uuid('send', n), data, opts ?? {}, this.now);
    this.activitySinceReport = true;
    return message.id;
  }

  /**
   * Handles one datagram from the channel. Never throws: bad input is dropped and counted. Keeps
   * no reference to `bytes` once it returns, so the caller may reuse them.
   */
  handleDatagram(bytes: Uint8Array, now: number): void {
    this.advance(now);
    if (this.engineState === 'closed' || this.engineState === 'failed') return;
    try {
      if (this.engineState === 'idle') this.connect(now);
      this.traffic.datagramsReceived++;
      this.traffic.wireBytesReceived += bytes.length;
      this.onReceive(bytes, now);
    } catch (err) {
      this.onInternalError(err);
    }
  }

  handleTimeout(now: number): void {
    this.advance(now);
    try {
      this.onTimers(now);
    } catch (err) {
      this.onInternalError(err);
    }
  }

  /**
   * The next datagram to put on the channel, or undefined when nothing may go now. `now` is when
   * the caller sends it (default: the time of the last call): a host that polls later than it
   * handled input passes its clock, so send times, RTT samples and pacing stay true. `lane`
   * names the FIFO lane the caller will send it on (an integer 0..MAX_LANES-1; a striped
   * channel's stripe, or 0 for a lone SCTP channel): datagrams sent on one lane arrive in the
   * order sent or not at all. Give it only where that holds; it lets loss detection skip its
   * slack (`recovery.laneLossDetection`).
   */
  pollTransmit(now?: number, lane?: number): Uint8Array | undefined {
    if (now !== undefined) this.advance(now);
    if (lane !== undefined && !isLane(lane)) {
      throw new PduError('invalid-argument', `pollTransmit: lane ${lane} is not an integer in 0..${MAX_LANES - 1}`);
    }
    this.lane = lane;
    this.polledPacket = undefined;
    const urgent = this.urgent.shift();
    if (urgent) return this.count(urgent, 'urgent');
    if (this.engineState !== 'keyed' && this.engineState !== 'established') return undefined;
    try {
      const datagram = this.nextControl() ?? this.nextData();
      this.internalErrorsInARow = 0;
      return datagram;
    } catch (err) {
      this.onInternalError(err);
      return undefined;
    }
  }

  /**
   * At `now` the stack below still holds, on each lane named, the datagrams polled for it
   * numbered `from` to `to - 1` (each lane numbers the datagrams polled for it from 0): they have
   * not left. Loss timers count from when a packet leaves, so a host whose channel queues behind
   * a transport window (an SCTP association's: Chromium's and werift's hold a stripe's fourth
   * datagram of a burst for a round trip once their window has shrunk) says what waits there,
   * every few ms while anything does; such a datagram is not resent for nothing, and while
   * lanes hold nothing and have room (`busy` and `room` tell, a lane not named is free), held
   * fragments go again there, the oldest first, as many as that room takes
   * (`recovery.retransmissions.held`). Optional: without it, timers count from `pollTransmit`.
   * Returns whether looking again soon can still change anything: some datagram not known to
   * have left is younger than a round trip.
   */
  reportLaneBacklog(held: readonly LaneHold[], now: number): boolean {
    for (const { lane, from, to, room } of held) {
      if (!isLane(lane) || !Number.isSafeInteger(from) || !Number.isSafeInteger(to) || from < 0 || to < from || (room !== undefined && !(room >= 0))) {
        throw new PduError('invalid-argument', `reportLaneBacklog: lane ${lane}, datagrams ${from} to ${to}, room ${room} out of range`);
      }
    }
    this.advance(now);
    const copies: SentPacket[] = [];
    const srtt = this.rtt.srtt;
    let recent = false;
    for (const { lane, from, to, busy } of held) {
      // Newest first: past three round trips, a packet's timers no longer depend on when it left.
      this.laneLog.range(lane, from, to, (p) => {
        if (this.now - p.timeSent > HELD_LOOKBACK_RTT * srtt) return false;
        if (this.outgoing.onHeld(p, this.now)) copies.push(p);
        return true;
      });
      if (to > from || busy === true) {
        const newest = this.laneLog.newestElicitingFrom(lane, from);
        if (newest !== undefined && this.now - newest.timeSent <= srtt) recent = true;
      }
    }
    if (copies.length > 0) {
      const largest = copies.reduce((m, p) => Math.max(m, p.bytes), 0);
      let room = 0;
      for (const r of this.laneLog.freeLanes(held)) room += r ?? UNTOLD_ROOM_DATAGRAMS * largest;
      copies.sort((a, b) => a.packetNumber - b.packetNumber);
      for (const p of copies) {
        if (p.bytes > room) break;
        if (this.outgoing.copyHeld(p)) room -= p.bytes;
      }
    }
    return recent;
  }

  /**
   * Hands back a datagram from `pollTransmit` once nothing will read it again (the channel
   * copied it on send, as a W3C RTCDataChannel does), so that a later datagram is written into
   * its memory instead of a new buffer. Optional. Never hand back a datagram that is still queued,
   * held back or transferred; datagrams the engine did not make, or already has back, are ignored.
   */
  recycleDatagram(datagram: Uint8Array): void {
    this.link.recycle(datagram);
  }

  pollEvent(): PduEvent | undefined {
    if (this.eventHead >= this.events.length) return undefined;
    const event = this.events[this.eventHead++];
    // Drained: let go of every event taken at once. A message event holds the whole message, and
    // compacting only past 1024 taken events kept that many messages reachable after the host had
    // them (memory, and garbage-collector work).
    if (this.eventHead === this.events.length) {
      this.events.length = 0;
      this.eventHead = 0;
    } else if (this.eventHead > 1024 && this.eventHead * 2 > this.events.length) {
      this.events.splice(0, this.eventHead);
      this.eventHead = 0;
    }
    return event;
  }

  /** Absolute time (ms) the engine wants `handleTimeout`, or undefined when it waits for input only. */
  nextTimeout(): number | undefined {
    const s = this.engineState;
    if (s === 'closed' || s === 'failed' || s === 'idle') return undefined;
    const handshake = s === 'established' ? undefined : earliest(this.nextHelloAt, this.handshakeStartedAt + this.config.timers.handshakeTimeoutMs);
    if (s === 'handshaking') return handshake;
    return earliest(
      handshake,
      this.outgoing.nextTimeout(),
      this.incoming.nextTimeout(this.rtt.srtt),
      this.outgoing.pacingReleaseTime(this.now),
      this.nextProbeAt,
      this.activitySinceReport ? this.nextReportAt : undefined,
      s === 'established' ? this.lastReceiveAt + this.config.timers.idleTimeoutMs : undefined,
    );
  }

  /** Feeds a sample from getStats / bufferedAmount / the SCTP association. */
  reportCongestionSample(sample: CongestionSample): void {
    this.estimator.onSample(sample, this.now);
    if (sample.queueBytes !== undefined && Number.isFinite(sample.queueBytes)) this.outgoing.onChannelQueue(sample.queueBytes);
  }

  /**
   * Closes the session: unsettled messages expire (reason `closed`), a CLOSE goes to the peer,
   * and a `closed` event follows. Idempotent.
   */
  close(now: number, reason = 'closed'): void {
    this.advance(now);
    if (this.engineState === 'closed' || this.engineState === 'failed') return;
    this.closingReason = 'closed';
    this.outgoing.abandonAll(now);
    const bytes = this.link.close(CLOSE_NO_ERROR, reason, now);
    if (bytes) this.urgent.push(bytes);
    this.engineState = 'closed';
    this.emit({ type: 'closed', reason });
  }

  /** The per-fragment trace as JSON Lines (empty unless `trace.maxEvents` > 0). */
  exportTrace(): string {
    return this.trace.toJsonl();
  }

  traceRecords(): TraceRecord[] {
    return this.trace.list();
  }

  stats(): EngineStats {
    const o = this.outgoing;
    const i = this.incoming;
    const report = this.buildReport(this.now);
    return {
      state: this.engineState,
      core: this.config.core?.kind ?? 'reference',
      role: this.config.role,
      now: this.now,
      recovery: {
        predictorRequested: this.config.recovery.custom ? 'custom' : this.config.recovery.predictor,
        predictor: this.predictor.name,
        ...(this.predictorFallback ? { predictorFallback: this.predictorFallback } : {}),
        retransmissions: { ...o.retx, spuriousBy: { ...o.retx.spuriousBy } },
        nacksSent: i.counts.nacksSent,
        acksSent: i.acksSentBy(),
        nacksReceived: o.counts.nacksReceived,
        nacksIgnored: o.counts.nacksIgnored,
        duplicateFragments: i.counts.duplicateFragments,
        invalidAcks: o.counts.invalidAcks,
        ptoCount: o.counts.ptoCount,
        packetThreshold: o.tracker.packetThreshold,
        untrustedLanes: o.tracker.untrustedLaneCount,
      },
      rtt: {
        srtt: this.rtt.srtt,
        rttvar: this.rtt.rttvar,
        minRtt: this.rtt.minRtt,
        latest: this.rtt.latest,
        jitter: this.rtt.jitter,
        samples: this.rtt.samples,
      },
      congestion: {
        controller: 'bbr-v1 (model-based, paced, loss-tolerant)',
        mode: o.controller.state,
        cwndBytes: o.cwnd(),
        pacingRate: o.pacingRate() * 8000,
        bytesInFlight: o.tracker.bytesInFlight,
        report,
      },
      sharding: { ...this.shardingCounts },
      traffic: {
        ...this.traffic,
        payloadBytesSent: o.counts.payloadBytesSent,
        payloadBytesResent: o.counts.payloadBytesResent,
        datagramsReused: this.link.datagramsReused,
      },
      messages: {
        sent: o.counts.messagesSent,
        delivered: o.counts.messagesDelivered,
        expired: o.counts.messagesExpired,
        shed: o.counts.messagesShed,
        received: i.counts.messagesReceived,
        cancelledByPeer: i.counts.cancelledByPeer,
        missedDeadline: i.counts.missedDeadline,
        orderedSkipped: i.reassembly.orderedSkipped,
      },
      memory: {
        sendBufferBytes: o.sendBufferBytes,
        sendMessages: o.unsettledMessages,
        retransmitBytes: o.retransmitBytes,
        reassemblyBytes: i.reassembly.bufferedBytes,
        messagesInProgress: i.reassembly.messagesInProgress,
        orderedWaiting: i.reassembly.orderedWaiting,
        trackedHoles: i.trackedHoles,
      },
      dropped: {
        session: this.link.droppedCounters(),
        refusedFragments: i.counts.refusedFragments,
        invalidFragments: i.counts.invalidFragments,
        cancelAnswers: i.counts.cancelAnswersDropped,
        internalErrors: this.internalErrors,
      },
    };
  }

  // ---- input ---------------------------------------------------------------------------------

  private onReceive(bytes: Uint8Array, now: number): void {
    const r = this.link.receive(bytes, now);
    switch (r.kind) {
      case 'handshake':
        this.urgent.push(...r.reply);
        if (r.keyed) this.onKeyed(now);
        return;
      case 'established':
        this.lastReceiveAt = now;
        this.onEstablished(r.sas);
        return;
      case 'data':
        this.lastReceiveAt = now;
        this.activitySinceReport = true;
        if (r.establishedNow) this.onEstablished(this.link.sas ?? '');
        this.incoming.onData(r.packetNumber, r.fragment, now, this.pathContext(), this.localDeadline(r.fragment.deadline, now));
        return;
      case 'control':
        this.lastReceiveAt = now;
        if (r.establishedNow) this.onEstablished(this.link.sas ?? '');
        this.onControlFrames(r.packetNumber, r.frames, now);
        return;
      case 'failed':
        this.fail('handshake', `session failed: ${r.reason}`);
        return;
      case 'dropped':
        if (r.reply) this.urgent.push(...r.reply);
        return;
    }
  }

  private onControlFrames(packetNumber: number, frames: readonly ControlFrame[], now: number): void {
    const ackEliciting = frames.some((f) => f.type === 'cancel');
    this.incoming.onControl(packetNumber, ackEliciting, now, this.pathContext());
    // Answers to our CANCELs before the ACK: an acknowledged CANCEL whose answer has not come is
    // asked again, and the answer usually rides with that acknowledgement.
    for (const f of frames) {
      if (f.type === 'cancel-result') this.outgoing.onCancelAnswers(f.completed, f.abandoned, now);
    }
    // ACK before NACK: NACKs are then judged against what the peer has just acknowledged.
    for (const f of frames) {
      if (f.type === 'ack' && f.ranges.length > 0) {
        this.outgoing.onAck(f.ranges[0]!.largest, fromWireRanges(f.ranges), f.ackDelay, now);
      }
    }
    for (const f of frames) {
      switch (f.type) {
        case 'nack':
          this.outgoing.onNack(fromWireRanges(f.ranges), now);
          break;
        case 'probe':
          this.peerClock.observe(f.sendTime, now);
          this.pendingEcho = { id: f.id, echoedSendTime: f.sendTime, receivedAt: now };
          break;
        case 'echo':
          this.onEcho(f.id, f.echoedSendTime, f.holdTime, now);
          break;
        case 'cancel':
          this.incoming.onCancel(f.messageNumbers, now, this.pathContext());
          break;
        case 'close':
          this.closingReason = 'closed';
          this.outgoing.abandonAll(now);
          this.engineState = 'closed';
          this.emit({ type: 'closed', reason: f.reason || `peer closed (code ${f.code})` });
          return;
        default:
          break;
      }
    }
  }

  private onEcho(id: number, echoedSendTime: number, holdTime: number, now: number): void {
    const sentAt = this.outstandingProbes.get(id);
    // Only our own probes count, with the time we wrote: a confused peer cannot skew the RTT.
    if (sentAt === undefined || this.link.clock.local(sentAt) !== echoedSendTime) return;
    this.outstandingProbes.delete(id);
    this.rtt.update(now - sentAt, Math.max(0, Math.min(holdTime, now - sentAt)));
  }

  private onMessage(m: CompletedMessage, now: number): void {
    const id = this.link.uuid('receive', m.messageNumber);
    this.emit({ type: 'message', id, data: m.data, ordered: m.ordered });
    this.traceReceived('delivered', undefined, now, { messageNumber: m.messageNumber, sequence: -1 });
  }

  private onKeyed(now: number): void {
    if (this.engineState !== 'handshaking') return;
    this.engineState = 'keyed';
    this.lastReceiveAt = now;
    // A first probe at once: the receiving side has no other way to learn the RTT. The rest of
    // the train settles the RTT variation before the first losses need the timers.
    this.nextProbeAt = now;
    this.startupProbesLeft = this.config.timers.startupProbes;
    this.nextReportAt = now + this.config.congestion.reportIntervalMs;
  }

  private onEstablished(sas: string): void {
    if (this.engineState === 'established' || this.engineState === 'closed' || this.engineState === 'failed') return;
    this.engineState = 'established';
    this.nextHelloAt = Number.POSITIVE_INFINITY;
    this.emit({ type: 'connected', sas });
  }

  // ---- timers --------------------------------------------------------------------------------

  private onTimers(now: number): void {
    const s = this.engineState;
    if (s === 'closed' || s === 'failed' || s === 'idle') return;
    if (s !== 'established') {
      if (now - this.handshakeStartedAt >= this.config.timers.handshakeTimeoutMs) {
        this.fail('handshake-timeout', 'the handshake did not complete in time');
        return;
      }
      if (now >= this.nextHelloAt) {
        // Re-sent until established: a re-sent HELLO also makes the peer repeat its REVEAL and FINISHED.
        this.urgent.push(this.link.hello(now));
        this.helloInterval = Math.min(this.helloInterval * 2, this.config.timers.handshakeRetryMaxMs);
        this.nextHelloAt = now + this.helloInterval;
      }
      if (s === 'handshaking') return;
    }
    if (s === 'established' && now - this.lastReceiveAt >= this.config.timers.idleTimeoutMs) {
      this.closingReason = 'closed';
      this.close(now, 'idle timeout');
      return;
    }
    this.outgoing.onTimeout(now);
    this.incoming.onTimeout(now, this.pathContext());
    if (this.activitySinceReport && now >= this.nextReportAt) {
      this.lastReport = this.buildReport(now);
      this.emit({ type: 'congestion', report: this.lastReport });
      this.activitySinceReport = false;
      this.nextReportAt = now + this.config.congestion.reportIntervalMs;
    } else if (now >= this.nextReportAt) {
      this.nextReportAt = now + this.config.congestion.reportIntervalMs;
    }
  }

  // ---- output --------------------------------------------------------------------------------

  private nextControl(): Uint8Array | undefined {
    const now = this.now;
    const ctx = this.pathContext();
    const batch: ControlBatch = {};
    const ack = this.incoming.ackIfDue(now);
    const nack = this.incoming.takeNacks(now, ctx);
    if (nack.length > 0) batch.nack = nack;
    if (this.pendingEcho) {
      const e = this.pendingEcho;
      batch.echo = { id: e.id, echoedSendTime: e.echoedSendTime, holdTime: Math.max(0, now - e.receivedAt) };
    }
    if (now >= this.nextProbeAt) batch.probe = this.makeProbe(now);
    const cancelling = this.outgoing.hasCancels() || this.incoming.hasCancelAnswers();
    const other = batch.nack !== undefined || batch.echo !== undefined || batch.probe !== undefined || cancelling;
    if (!ack && !other) return undefined;
    // Anything else that goes out carries the latest ACK too: it is cheap and keeps the peer current.
    const ackFrame = ack ?? this.incoming.ackNow(now);
    if (ackFrame) batch.ack = ackFrame;
    this.fitRanges(batch);
    if (cancelling) this.addCancels(batch);
    const sealed = this.link.sealControl(batch, now);
    if (batch.ack) this.incoming.onAckSent(now, ctx.srttMs);
    this.pendingEcho = undefined;
    this.polledPacket = this.outgoing.onControlSent(sealed.packetNumber, sealed.bytes.length, batch.cancels ?? [], now, this.lane);
    return this.count(sealed.bytes, 'control');
  }

  /**
   * Trims the oldest ACK ranges, then the oldest NACK ranges, until the datagram fits: on a small
   * `maxDatagramSize` (or huge packet numbers) the configured range counts can outgrow it, and a
   * datagram that cannot be sealed would stay due forever. An ACK range left out is reported by
   * a later ACK or not at all (the sender's timers cover it); a NACK range left out is a request
   * lost on the way, which the predictor repeats or the sender's timers make good.
   */
  private fitRanges(batch: ControlBatch): void {
    for (let over = -this.link.controlRoom(batch); over > 0; over = -this.link.controlRoom(batch)) {
      // Each range takes at least two bytes: drop enough of them at once to converge fast.
      const drop = Math.max(1, Math.floor(over / 16));
      if (batch.ack && batch.ack.ranges.length > 1) batch.ack.ranges.length = Math.max(1, batch.ack.ranges.length - drop);
      else if (batch.nack && batch.nack.length > 1) batch.nack.length = Math.max(1, batch.nack.length - drop);
      else return;
    }
  }

  /**
   * CANCELs and answers to the peer's, as many as fit the room the other frames leave (what does
   * not fit goes in the next datagram). An ACK alone that leaves no room for one gives way.
   */
  private addCancels(batch: ControlBatch): void {
    let room = this.link.controlRoom(batch);
    const fits = (overhead: number) => Math.max(0, Math.min(MAX_CANCELS_PER_PACKET, Math.floor((room - overhead) / NUMBER_BYTES)));
    const cancelOverhead = 1 + COUNT_BYTES;
    const answerOverhead = 1 + 2 * COUNT_BYTES;
    if (fits(cancelOverhead) === 0 && fits(answerOverhead) === 0 && !batch.nack && !batch.echo && !batch.probe) {
      delete batch.ack;
      room = this.link.controlRoom(batch);
    }
    if (this.outgoing.hasCancels()) {
      const taken = this.outgoing.takeCancels(fits(cancelOverhead));
      if (taken.length > 0) {
        batch.cancels = taken;
        room -= cancelOverhead + NUMBER_BYTES * taken.length;
      }
    }
    if (this.incoming.hasCancelAnswers()) {
      const answers = this.incoming.takeCancelAnswers(fits(answerOverhead));
      if (answers.completed.length + answers.abandoned.length > 0) batch.cancelAnswers = answers;
    }
  }

  private makeProbe(now: number): { id: number; sendTime: number } {
    const id = this.nextProbeId++;
    this.outstandingProbes.set(id, now);
    if (this.outstandingProbes.size > MAX_OUTSTANDING_PROBES) {
      const oldest = this.outstandingProbes.keys().next();
      if (!oldest.done) this.outstandingProbes.delete(oldest.value);
    }
    // Probe again next interval only if ACKs gave no RTT sample meanwhile.
    const ackSamples = this.rtt.samples;
    const interval = this.config.timers.probeIntervalMs;
    this.startupProbesLeft = Math.max(0, this.startupProbesLeft - 1);
    if (this.startupProbesLeft > 0) this.nextProbeAt = now + STARTUP_PROBE_SPACING_MS;
    else this.nextProbeAt = now + (ackSamples > this.lastAckRttSamples + 1 ? 2 * interval : interval);
    this.lastAckRttSamples = ackSamples;
    return { id, sendTime: this.link.clock.local(now) };
  }

  private nextData(): Uint8Array | undefined {
    const next = this.outgoing.nextFragment(this.now, (m) => this.decide(m));
    if (typeof next === 'string') return undefined;
    return this.sendFragment(next);
  }

  private sendFragment(f: FragmentToSend): Uint8Array {
    const end = this.outgoing.flightEnd(f, this.now);
    const sealed = this.link.sealFragment(f.message, f.sequence, { ackNow: end.ackNow, copy: f.copy === true }, this.now);
    this.polledPacket = this.outgoing.onDataSent(f, sealed.packetNumber, sealed.bytes.length, this.now, end, this.lane);
    this.activitySinceReport = true;
    return this.count(sealed.bytes, 'data');
  }

  /** Fixes how a message is cut, at the moment its first fragment leaves. */
  private decide(message: OutgoingMessage): ShardingDecision {
    const report = this.buildReport(this.now);
    this.lastReport = report;
    const standard = this.link.payloadFor(message);
    const path = {
      maxPayload: standard.payload,
      overheadBytes: standard.overhead + this.config.sharding.stackOverheadBytes,
      packetLoss: report.packetLoss,
      severity: report.severity,
    };
    let decision = this.sharding.decide(message.data.length, path);
    if (decision.sharded) {
      // More fragments can lengthen the header's varints: re-check the cut against them.
      const limit = this.config.maxDatagramSize - this.link.overheadFor(message, decision.totalFragments);
      if (decision.fragmentSize > limit) decision = this.sharding.decide(message.data.length, { ...path, maxPayload: limit });
    }
    const r = this.config.recovery;
    decision.duplicateResends = duplicatesResends(r.duplicateRetransmissions, r.duplicateMaxQueueing, {
      totalFragments: decision.totalFragments,
      packetLoss: report.packetLoss,
      queueingPressure: this.estimator.queueingPressure,
    });
    const c = this.shardingCounts;
    if (decision.duplicateResends) c.messagesDuplicatingResends++;
    if (decision.sharded) c.messagesSharded++;
    else c.messagesStandard++;
    c.lastFragmentSize = decision.fragmentSize;
    c.lastSharded = decision.sharded;
    const regime = { sharded: decision.sharded, fragmentSize: decision.sharded ? decision.fragmentSize : standard.payload };
    if (!this.lastRegime || this.lastRegime.sharded !== regime.sharded || (regime.sharded && this.lastRegime.fragmentSize !== regime.fragmentSize)) {
      if (this.lastRegime || regime.sharded) this.emit({ type: 'sharding', ...regime, severity: report.severity });
      this.lastRegime = regime;
    }
    return decision;
  }

  private count(bytes: Uint8Array, kind: 'urgent' | 'control' | 'data'): Uint8Array {
    if (this.lane !== undefined) this.laneLog.record(this.lane, this.polledPacket);
    this.traffic.datagramsSent++;
    this.traffic.wireBytesSent += bytes.length;
    if (kind === 'data') this.traffic.dataPacketsSent++;
    if (kind === 'control') this.traffic.controlPacketsSent++;
    return bytes;
  }

  // ---- shared state --------------------------------------------------------------------------

  private advance(now: number): void {
    this.link.clock.start(now);
    if (Number.isFinite(now) && now > this.now) this.now = now;
  }

  /**
   * A peer's DATA deadline on our clock, taking half the min RTT as the fastest one-way delay
   * (none before an RTT sample: late rather than early). Undefined without a deadline or a probe.
   */
  private localDeadline(wire: number | undefined, now: number): number | undefined {
    if (wire === undefined) return undefined;
    return this.peerClock.localDeadline(wire, now, this.rtt.hasSample() ? this.rtt.minRtt / 2 : 0);
  }

  private pathContext(): PathContext {
    return { srttMs: this.rtt.srtt, rttVarMs: this.rtt.rttvar, minRttMs: this.rtt.minRtt, severity: this.lastReport.severity };
  }

  private buildReport(now: number): CongestionReport {
    return this.estimator.report(
      {
        srttMs: this.rtt.srtt,
        minRttMs: this.rtt.minRtt,
        jitterMs: this.rtt.jitter,
        deliveryRate: this.outgoing?.controller.bandwidth ?? 0,
        receiveLossRate: this.incoming?.receiveLossRate ?? 0,
        measured: this.rtt.hasSample(),
      },
      now,
    );
  }

  private emit(event: PduEvent): void {
    this.events.push(event);
  }

  private fail(code: string, message: string): void {
    this.closingReason = 'closed';
    this.outgoing.abandonAll(this.now);
    this.engineState = 'failed';
    this.emit({ type: 'error', code, message });
    this.emit({ type: 'closed', reason: message });
  }

  private onInternalError(err: unknown): void {
    this.internalErrors++;
    const message = err instanceof Error ? err.message : String(err);
    const code = (err as { code?: unknown })?.code;
    // The session refuses to seal once it failed or ran out of numbers: that ends the session.
    if (code === 'numbers_exhausted' || code === 'failed' || code === 'closed') {
      if (this.engineState !== 'closed' && this.engineState !== 'failed') this.fail(String(code), message);
      return;
    }
    // What failed is still due, so the host would ask again at once, forever: end the session.
    if (++this.internalErrorsInARow >= MAX_INTERNAL_ERRORS_IN_A_ROW) {
      this.fail('internal', `${message} (${this.internalErrorsInARow} times in a row)`);
      return;
    }
    this.emit({ type: 'error', code: 'internal', message });
  }

  // ---- trace ---------------------------------------------------------------------------------

  private cc(): NonNullable<TraceRecord['cc']> {
    return {
      srtt: this.rtt.srtt,
      minRtt: this.rtt.minRtt,
      loss: this.lastReport.packetLoss,
      severity: this.lastReport.severity,
      cwnd: this.outgoing.cwnd(),
      inflight: this.outgoing.tracker.bytesInFlight,
      pacing: this.outgoing.pacingRate() * 8000,
    };
  }

  private traceSent(event: string, p: SentPacket, now: number, cause?: ResendCause): void {
    if (!this.trace.enabled) return;
    this.trace.record({
      t: now,
      side: this.config.role,
      event,
      pn: p.packetNumber,
      ...(p.fragment ? { msg: p.fragment.messageNumber, seq: p.fragment.sequence } : {}),
      ...(p.lane !== undefined ? { lane: p.lane } : {}),
      ...(cause ? { cause } : {}),
      cc: this.cc(),
    });
  }

  private traceReceived(event: string, pn: number | undefined, now: number, f?: { messageNumber: number; sequence: number }): void {
    if (!this.trace.enabled) return;
    this.trace.record({
      t: now,
      side: this.config.role,
      event,
      ...(pn !== undefined ? { pn } : {}),
      ...(f ? { msg: f.messageNumber, ...(f.sequence >= 0 ? { seq: f.sequence } : {}) } : {}),
      cc: this.cc(),
    });
  }

  private traceNack(d: NackDecision, now: number): void {
    if (!this.trace.enabled) return;
    this.trace.record({
      t: now,
      side: this.config.role,
      event: 'nacked',
      pn: d.packetNumber,
      features: { ...d.features },
      p: d.verdict.lossProbability,
      cc: this.cc(),
    });
  }
}

function choosePredictor(c: PduConfig): { predictor: LossPredictor; fallback?: string } {
  if (c.recovery.custom) return { predictor: c.recovery.custom };
  const heuristic = () =>
    new HeuristicPredictor({
      packetThreshold: c.recovery.packetThreshold,
      maxRequests: c.recovery.maxNackRequests,
      granularityMs: c.recovery.granularityMs,
    });
  switch (c.recovery.predictor) {
    case 'timeout':
      return { predictor: new TimeoutPredictor() };
    case 'heuristic':
      return { predictor: heuristic() };
    case 'model':
      return { predictor: defaultModelPredictor({ maxRequests: c.recovery.maxNackRequests }) };
  }
}
