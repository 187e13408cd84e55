import type { PduCore } from '../core/core.js';
import type { LossPredictor } from '../predict/loss-predictor.js';
import type { DuplicationMode } from '../shard/redundancy-policy.js';
import { DEFAULT_MAX_DATAGRAM_SIZE } from '../wire/constants.js';

/** Which loss predictor decides when the receiver asks for a missing packet. */
export type PredictorChoice = 'model' | 'heuristic' | 'timeout';

/**
 * Every knob of the engine, in one place. Defaults work for a WebRTC data channel over the
 * Internet; every memory bound is here too. Times are ms, sizes bytes, rates bits/s.
 */
export interface PduConfig {
  role: 'initiator' | 'responder';
  /** Largest datagram (one data-channel message): must fit one SCTP DATA chunk. */
  maxDatagramSize: number;
  /**
   * The byte-work core (the cipher above all). Loading WebAssembly is asynchronous and the engine
   * is not, so hosts load it (`loadWasmCore`) and pass it here; without one the engine uses the
   * TypeScript reference.
   */
  core?: PduCore;

  /** Session security (src/crypto). */
  security: {
    /** Pre-shared key mixed into the key schedule (>= 16 bytes). */
    psk?: Uint8Array;
    /** DTLS fingerprints from the SDP, bound into the handshake transcript (both or neither). */
    localFingerprint?: string;
    remoteFingerprint?: string;
    /** Randomness source; injectable for deterministic tests. */
    randomBytes?: (length: number) => Uint8Array;
    rekeyAfterPackets?: number;
    rekeyAfterMs?: number;
    replayWindow?: number;
  };

  recovery: {
    /**
     * Who decides when to ask for a missing packet: the shipped learned model, the gap-and-jitter
     * heuristic, or nobody (timeout-only recovery, the default). On the link simulator the
     * heuristic recovers fastest; on real data channels, where the SCTP association below PDU
     * paces and (in Chromium) cuts datagrams, timeout-only recovery had the lower p99 in every
     * measured run, 2-3x lower in Chromium (docs/PREDICTOR.md, docs/BENCHMARKS.md bench:net).
     */
    predictor: PredictorChoice;
    /** A predictor object to use instead of the built-in choice (the ML issue plugs in here). */
    custom?: LossPredictor;
    /** RTT assumed before the first sample (RFC 9002 suggests 333). */
    initialRttMs: number;
    /**
     * RFC 9002 kPacketThreshold, where loss detection starts: it rises by itself on a path seen
     * to reorder (a spurious loss), up to 1,024 (stats().recovery.packetThreshold).
     */
    packetThreshold: number;
    /** RFC 9002 kTimeThreshold. */
    timeThreshold: number;
    /**
     * Where the host names each datagram's FIFO lane (`pollTransmit(now, lane)`: one per SCTP
     * association), declare a packet lost as soon as a later packet on its lane is acknowledged,
     * without the thresholds' count or time slack. A lane seen to reorder loses the rule.
     */
    laneLossDetection: boolean;
    /** Timer granularity (RFC 9002 kGranularity). */
    granularityMs: number;
    /** Bounds of the probe timeout before backoff. */
    minPtoMs: number;
    maxPtoMs: number;
    /** Packets presumed lost at once when the PTO fires. */
    ptoBurstPackets: number;
    /** A NACK is honoured only for a packet sent at least this fraction of min RTT ago. */
    nackMinAgeRttFraction: number;
    /** NACKs per missing packet before the receiver leaves it to the sender's timers. */
    maxNackRequests: number;
    /**
     * Send retransmissions twice, in two datagrams (on a striped channel, most likely on two
     * connections). A message is slow when a retransmission is lost too; twice, that needs both
     * lost. Costs the loss rate again in wire bytes. `true`: always; `'auto'`: for a message when,
     * at the measured loss, more than 1% of messages its size would need a second round
     * (fragments x loss^2) and the path shows little queueing (`duplicateMaxQueueing`);
     * `false`: never (the engine's default; `PduChannel` makes `'auto'` the default of a striped
     * channel, where it cut the p99 by 25-45 ms for about 0.05 more wire per payload byte:
     * docs/BENCHMARKS.md, "Striping").
     */
    duplicateRetransmissions: DuplicationMode;
    /**
     * `'auto'` duplicates only while the congestion report's queueing pressure (srtt above min
     * RTT and the queue below PDU, each scaled as in the severity; loss left out) is below this
     * (1: whatever the queueing).
     */
    duplicateMaxQueueing: number;
    /**
     * A message whose deadline passed after all its fragments left is CANCELled and settles on
     * the receiver's answer (delivered if it had the whole message in time, expired if not), so
     * both sides report the same. Without an answer for this many probe timeouts (a path that
     * carries nothing back) it expires anyway: only then can the sides disagree.
     */
    cancelAnswerTimeoutPtos: number;
  };

  ack: {
    /** Acknowledge at least every this many ack-eliciting packets. */
    ackEveryPackets: number;
    /** Longest delay of an ACK (also what the sender adds to its PTO). */
    maxAckDelayMs: number;
    /**
     * An arrival out of order is acknowledged within this fraction of the smoothed RTT (at most
     * `maxAckDelayMs`), not at once, so that one ACK covers the burst around it: on a reordering
     * path (stripes) nearly every arrival is out of order. The sender's time threshold leaves
     * srtt/8 of slack, which this must stay well inside. 0: at once.
     */
    outOfOrderAckDelayRtt: number;
    /**
     * An ACK the sender asked for (the A flag: a retransmission, or the tail of a flight) waits
     * this fraction of the smoothed RTT (at most `maxAckDelayMs`), so that the datagrams of the
     * same flight that took other stripes and arrive a moment later share it: alone, each would
     * draw an ACK of its own, and the one before them tells the sender of holes that are not.
     * Within the srtt/8 the sender's tail probe allows for. 0 (the default): at once, right for
     * one connection, whose datagrams arrive in order; PduChannel sets
     * STRIPED_ASKED_ACK_DELAY_RTT on a striped channel unless the caller chose.
     */
    askedAckDelayRtt: number;
    /**
     * An ACK that reports a new hole is sent again this fraction of the smoothed RTT later,
     * unless another ACK has gone out by then. That ACK is what lets the sender resend the
     * missing packet; when it is lost and the flight has ended, no later one follows, and the
     * loss waits for a tail probe's round trip. One repeat per hole. 0: no repeat.
     */
    holeAckRepeatRtt: number;
    /** Ranges per ACK frame, largest first (fewer when the datagram has no room for them). */
    maxAckRanges: number;
    /**
     * ACKs that repeat a range before it is left out of later ones; a packet arriving late,
     * below the ranges left out, is reported in this many ACKs as well.
     */
    rangeRepeats: number;
    /** Ranges per NACK frame (fewer when the datagram has no room for them). */
    maxNackRanges: number;
  };

  sharding: {
    enabled: boolean;
    /** Congestion severity (0..1) above which the congestion-driven fragment size applies. */
    severityThreshold: number;
    /** Smallest fragment payload the policy chooses when it cuts a message. */
    minFragmentSize: number;
    /**
     * Bytes the stack below adds to every datagram on the wire, which a smaller fragment pays
     * again: SCTP common and DATA chunk headers (28), a DTLS 1.2 AES-GCM record (37), UDP (8),
     * IPv4 (20).
     */
    stackOverheadBytes: number;
  };

  congestion: {
    /** Congestion window before the first bandwidth sample, in datagrams. */
    initialWindowPackets: number;
    minWindowPackets: number;
    /** The window is sized for a round trip of at least this many ms (sub-ms paths ACK in batches). */
    windowRttFloorMs: number;
    /** Datagrams an idle sender may put on the channel back to back. */
    pacingBurstPackets: number;
    /**
     * The pacer's bucket also holds what the pacing rate delivers in this many ms, because hosts
     * wake the engine with timers (browsers clamp nested timers to 4 ms).
     */
    pacingTimerSlackMs: number;
    /** Pacing-rate bounds, bits/s. The ceiling also caps what forged ACKs could provoke. */
    maxPacingRate: number;
    minPacingRate: number;
    /** Channel queue (bufferedAmount) above which pacing slows, in datagrams. */
    queueTargetPackets: number;
    /** Severity scales: loss rate, queueing delay in min RTTs, channel queue in BDPs that each alone mean 1. */
    lossAtFullSeverity: number;
    delayAtFullSeverity: number;
    queueAtFullSeverity: number;
    /** How often a `congestion` event is emitted while traffic flows. */
    reportIntervalMs: number;
  };

  limits: {
    /** Largest message `send` accepts. */
    maxMessageBytes: number;
    /** Bytes of messages accepted by `send` and not yet delivered or expired; beyond it `send` throws backpressure. */
    maxSendBufferBytes: number;
    /** Messages accepted by `send` and not yet settled. */
    maxSendMessages: number;
    /** Bytes of started, unacknowledged messages kept for retransmission; new messages wait beyond it. */
    maxRetransmitBytes: number;
    /** Receiver: bytes reserved by messages being reassembled plus ordered messages waiting their turn. */
    maxReassemblyBytes: number;
    /** Receiver: messages being reassembled at once. */
    maxMessagesInProgress: number;
    /** Receiver: holes in the packet-number sequence tracked for NACKs. */
    maxTrackedHoles: number;
    /** Sender: lost packets remembered to detect spurious retransmissions. */
    maxRememberedLost: number;
  };

  timers: {
    /** First HELLO re-send interval; doubles up to `handshakeRetryMaxMs`. */
    handshakeRetryMs: number;
    handshakeRetryMaxMs: number;
    /** Give up the handshake after this long. */
    handshakeTimeoutMs: number;
    /** In-band RTT probe interval while nothing else measures RTT. */
    probeIntervalMs: number;
    /**
     * RTT probes sent right after keying, one every `STARTUP_PROBE_SPACING_MS` (at most
     * `MAX_OUTSTANDING_PROBES`). From one sample the loss timers start at srtt + 4 x srtt/2
     * (RFC 6298's first variation), and a stream that draws one ACK per message would take
     * seconds to settle them: the first messages' lost tails waited twice the round trip.
     */
    startupProbes: number;
    /** Close when nothing authenticated arrives for this long (probes keep a live path busy). */
    idleTimeoutMs: number;
  };

  trace: {
    /** Per-fragment trace events kept (ring buffer); 0 disables tracing. */
    maxEvents: number;
  };
}

/** Config overrides: groups may be given in part; leaves (keys, functions, predictors) are taken whole. */
type DeepPartial<T> = {
  [K in keyof T]?: T[K] extends Uint8Array | LossPredictor | ((...a: never[]) => unknown) ? T[K] : T[K] extends object ? DeepPartial<T[K]> : T[K];
};

/** What `new PduEngine(...)` takes: a role and any overrides of the defaults. */
export type PduEngineOptions = { role: PduConfig['role'] } & DeepPartial<Omit<PduConfig, 'role'>>;

/** Own RTT probes awaiting their echo; an older one's echo is ignored. */
export const MAX_OUTSTANDING_PROBES = 8;
/** Spacing of the startup probes: the default 8 span 70 ms, so their samples are in before a wide-area path's first losses are due. */
export const STARTUP_PROBE_SPACING_MS = 10;

/**
 * `ack.askedAckDelayRtt` over several stripes: datagrams of one flight that took other stripes
 * trail the one that asked by well under a millisecond at the median and a few at worst (werift,
 * bench:net traces), and srtt/32 is under 2 ms at 50 ms RTT.
 */
export const STRIPED_ASKED_ACK_DELAY_RTT = 1 / 32;

export const DEFAULT_CONFIG: Omit<PduConfig, 'role'> = {
  maxDatagramSize: DEFAULT_MAX_DATAGRAM_SIZE,
  security: {},
  recovery: {
    predictor: 'timeout',
    initialRttMs: 250,
    packetThreshold: 3,
    timeThreshold: 9 / 8,
    laneLossDetection: true,
    granularityMs: 1,
    minPtoMs: 5,
    maxPtoMs: 10_000,
    ptoBurstPackets: 2,
    nackMinAgeRttFraction: 0.8,
    maxNackRequests: 3,
    duplicateRetransmissions: false,
    duplicateMaxQueueing: 0.25,
    cancelAnswerTimeoutPtos: 16,
  },
  ack: {
    ackEveryPackets: 8,
    maxAckDelayMs: 25,
    outOfOrderAckDelayRtt: 1 / 16,
    askedAckDelayRtt: 0,
    holeAckRepeatRtt: 1 / 8,
    maxAckRanges: 32,
    rangeRepeats: 3,
    maxNackRanges: 64,
  },
  sharding: {
    enabled: true,
    severityThreshold: 0.5,
    minFragmentSize: 256,
    stackOverheadBytes: 93,
  },
  congestion: {
    initialWindowPackets: 32,
    minWindowPackets: 16,
    windowRttFloorMs: 10,
    pacingBurstPackets: 16,
    pacingTimerSlackMs: 5,
    maxPacingRate: 1e9,
    minPacingRate: 64_000,
    queueTargetPackets: 32,
    lossAtFullSeverity: 0.25,
    delayAtFullSeverity: 2,
    queueAtFullSeverity: 2,
    reportIntervalMs: 1000,
  },
  limits: {
    maxMessageBytes: 16 * 1024 * 1024,
    maxSendBufferBytes: 64 * 1024 * 1024,
    maxSendMessages: 65_536,
    maxRetransmitBytes: 16 * 1024 * 1024,
    maxReassemblyBytes: 64 * 1024 * 1024,
    maxMessagesInProgress: 1024,
    maxTrackedHoles: 1024,
    maxRememberedLost: 4096,
  },
  timers: {
    handshakeRetryMs: 250,
    handshakeRetryMaxMs: 2000,
    handshakeTimeoutMs: 30_000,
    probeIntervalMs: 1000,
    startupProbes: 8,
    idleTimeoutMs: 30_000,
  },
  trace: { maxEvents: 0 },
};

/** Fills in defaults and checks what would make the engine misbehave. Throws RangeError on bad config. */
export function resolveConfig(options: PduEngineOptions): PduConfig {
  if (options.role !== 'initiator' && options.role !== 'responder') throw new RangeError('role: initiator or responder');
  const d = DEFAULT_CONFIG;
  const config: PduConfig = {
    role: options.role,
    maxDatagramSize: options.maxDatagramSize ?? d.maxDatagramSize,
    ...(options.core ? { core: options.core as PduCore } : {}),
    security: { ...d.security, ...options.security },
    recovery: { ...d.recovery, ...options.recovery } as PduConfig['recovery'],
    ack: { ...d.ack, ...options.ack },
    sharding: { ...d.sharding, ...options.sharding },
    congestion: { ...d.congestion, ...options.congestion },
    limits: { ...d.limits, ...options.limits },
    timers: { ...d.timers, ...options.timers },
    trace: { ...d.trace, ...options.trace },
  };
  if (!(config.maxDatagramSize >= 128 && config.maxDatagramSize <= 65_536)) throw new RangeError('maxDatagramSize: 128..65536');
  if (![true, false, 'auto'].includes(config.recovery.duplicateRetransmissions)) {
    throw new RangeError("recovery.duplicateRetransmissions: true, false or 'auto'");
  }
  if (!(config.recovery.duplicateMaxQueueing >= 0 && config.recovery.duplicateMaxQueueing <= 1)) {
    throw new RangeError('recovery.duplicateMaxQueueing: 0..1');
  }
  const answerPtos = config.recovery.cancelAnswerTimeoutPtos;
  if (!(answerPtos >= 1 && Number.isFinite(answerPtos))) throw new RangeError('recovery.cancelAnswerTimeoutPtos: finite, >= 1');
  if (!['model', 'heuristic', 'timeout'].includes(config.recovery.predictor)) {
    throw new RangeError('recovery.predictor: model, heuristic or timeout');
  }
  if (!(config.sharding.minFragmentSize >= 1)) throw new RangeError('sharding.minFragmentSize: >= 1');
  if (!(config.ack.ackEveryPackets >= 1)) throw new RangeError('ack.ackEveryPackets: >= 1');
  for (const key of ['outOfOrderAckDelayRtt', 'askedAckDelayRtt', 'holeAckRepeatRtt'] as const) {
    if (!(config.ack[key] >= 0 && config.ack[key] <= 1)) throw new RangeError(`ack.${key}: 0..1`);
  }
  // A window smaller than two ACK batches stalls on the receiver's ACK delay: on a sub-millisecond
  // path the sender would wait maxAckDelayMs per window, and the bandwidth estimate collapses.
  if (!(config.congestion.minWindowPackets >= 2 * config.ack.ackEveryPackets)) {
    throw new RangeError('congestion.minWindowPackets: at least 2 * ack.ackEveryPackets');
  }
  for (const [group, values] of [
    ['limits', config.limits],
    ['timers', config.timers],
  ] as const) {
    for (const [key, value] of Object.entries(values)) {
      if (!(typeof value === 'number' && value > 0)) throw new RangeError(`${group}.${key}: a positive number`);
    }
  }
  if (!(Number.isInteger(config.timers.startupProbes) && config.timers.startupProbes <= MAX_OUTSTANDING_PROBES)) {
    throw new RangeError(`timers.startupProbes: an integer in 1..${MAX_OUTSTANDING_PROBES}`);
  }
  return config;
}
