import type { GapFeatures, GapVerdict, LossPredictor } from './loss-predictor.js';

export interface HeuristicPredictorOptions {
  /** Holes with this many later arrivals are lost for certain (RFC 9002's packet threshold). */
  packetThreshold: number;
  /** Re-request a packet at most this many times; the sender's ACK-driven detection is the backstop. */
  maxRequests: number;
  granularityMs: number;
}

/**
 * Baseline predictor from gaps and jitter. A hole is a loss unless the path reorders: if recent
 * holes were rarely filled late, ask at once; otherwise wait as long as late packets have
 * recently been late (bounded by a quarter RTT, past which the wait costs more than a spurious
 * retransmission). A tail hole (nothing arrives while a message is incomplete) is requested once
 * the silence exceeds what the arrival rhythm, its jitter, the path's delay swings and the pauses
 * of a window-limited sender explain. Repeats are spaced by one RTT, the soonest a retransmission
 * could have arrived.
 */
export class HeuristicPredictor implements LossPredictor {
  readonly name = 'heuristic' as const;

  constructor(private readonly options: HeuristicPredictorOptions) {}

  assess(f: GapFeatures, now: number): GapVerdict {
    const { packetThreshold, maxRequests, granularityMs } = this.options;
    if (f.requestsSoFar >= maxRequests) return { lossProbability: 1, requestAt: undefined };
    if (f.requestsSoFar > 0) {
      // The resent copy arrives one round trip after the request at the earliest; ask again
      // once that and the usual variation have passed.
      const wait = f.srttMs + 4 * f.rttVarMs + 2 * granularityMs;
      return { lossProbability: 1, requestAt: now - f.sinceLastRequestMs + wait };
    }
    if (f.tail) {
      // No later packet proves a tail loss, so the silence must outlast the arrival rhythm, the
      // path's delay swings, which bunch packets (a quarter RTT covers them), and the pauses
      // between the flights of a sender whose window below PDU holds it back.
      const silence = Math.max(2 * f.interArrivalMs + 4 * f.interArrivalJitterMs, f.srttMs / 4, 1.25 * f.tailPauseMs, 2 * granularityMs);
      const p = f.sinceLastArrivalMs >= silence ? 0.9 : 0.5;
      return { lossProbability: p, requestAt: now - f.sinceLastArrivalMs + silence };
    }
    if (f.successors >= packetThreshold) return { lossProbability: 1, requestAt: now };
    const reorderWait = f.reorderRate < 0.01 ? 0 : Math.min(f.srttMs / 4, 2 * f.reorderDelayMs + f.interArrivalJitterMs);
    const lossProbability = 1 - f.reorderRate * Math.max(0, 1 - f.gapAgeMs / Math.max(reorderWait, granularityMs));
    return { lossProbability, requestAt: now - f.gapAgeMs + reorderWait };
  }
}
