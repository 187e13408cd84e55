/**
 * What the receiver knows about one missing packet when it decides whether and when to ask the
 * sender for it. The same record goes into the trace, so a model trained on traces sees exactly
 * what the runtime predictor sees.
 */
export interface GapFeatures {
  /** Time since the hole was first noticed. */
  gapAgeMs: number;
  /** Packets with higher numbers received since the hole was noticed. */
  successors: number;
  /** Length of the run of consecutive missing packets this one belongs to. */
  runLength: number;
  /** True for a tail gap: packets expected after the largest received (incomplete messages, silence). */
  tail: boolean;
  sinceLastArrivalMs: number;
  /** Smoothed interval between data arrivals and its mean deviation. */
  interArrivalMs: number;
  interArrivalJitterMs: number;
  srttMs: number;
  rttVarMs: number;
  minRttMs: number;
  /** Fraction of recent packet numbers that went missing (loss, as the receiver sees it). */
  recentLossRate: number;
  /** Fraction of recent holes later filled by a late packet (reordering), and how late they were. */
  reorderRate: number;
  reorderDelayMs: number;
  /**
   * How long recent silences inside incomplete messages lasted before the missing packets arrived
   * after all (0 when none did): a sender held by a window below PDU sends in flights.
   */
  tailPauseMs: number;
  /** NACKs already sent for this packet, and the time since the last one (0 when none). */
  requestsSoFar: number;
  sinceLastRequestMs: number;
  severity: number;
}

export interface GapVerdict {
  /** Estimated probability that the packet is lost rather than late. */
  lossProbability: number;
  /** Absolute time (ms) at which to request it; undefined leaves recovery to the sender's timers. */
  requestAt: number | undefined;
}

/**
 * Decides when the receiver requests a missing packet. Consulted for every hole when it appears
 * and again whenever new evidence arrives (a later packet, a timer). Implementations must be
 * pure and cheap: this runs per packet on the hot path.
 */
export interface LossPredictor {
  readonly name: 'model' | 'heuristic' | 'timeout';
  assess(features: GapFeatures, now: number): GapVerdict;
}
