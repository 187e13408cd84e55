/**
 * Turns a replay's predictor consultations into labelled decisions: at a moment when the
 * receiver could ask for a missing packet, will its content still arrive without that request
 * (the packet is late, or a copy is already on its way), or is it lost? The link's record
 * answers exactly. Besides each real consultation, the moments the model predictor asks about (each of
 * WAIT_STEPS_RTT later) are labelled too, with the features the model is then given: those of
 * the consultation with the clocks moved on. A wait ends where the engine would consult again
 * with fresh evidence (the next arrival, for gaps not requested yet).
 */
import type { GapFeatures } from '../predict/loss-predictor.js';
import { advanceFeatures } from '../predict/model-features.js';
import { WAIT_STEPS_RTT } from '../predict/model-predictor.js';
import type { DecisionLog } from './decision-log.js';

export interface LabelledDecision {
  t: number;
  features: GapFeatures;
  /** 1: lost, a request at t is needed; 0: the content arrives anyway (a request would be spurious). */
  lost: 0 | 1;
  /** 0 for a real consultation; otherwise how long after it this moment lies. */
  waitMs: number;
}

export interface LabelOptions {
  /** End of the run: a packet sent less than `settleMs` before it has an unknown fate. */
  endMs: number;
  settleMs?: number;
  /** Requests per packet after which the engine stops asking (its maxNackRequests). */
  maxRequests?: number;
}

export interface LabelStats {
  consultations: number;
  /** Hole consultations whose revealing arrival could not be found (should stay 0). */
  unmatched: number;
}

/** Later arrivals after which the engine stops reconsulting an unrequested hole (NackScheduler's horizon). */
const EVIDENCE_HORIZON = 8;

export function labelDecisions(log: DecisionLog, o: LabelOptions): { rows: LabelledDecision[]; stats: LabelStats } {
  const settleBy = o.endMs - (o.settleMs ?? 2000);
  const maxRequests = o.maxRequests ?? 3;
  const { arrivals, arrivedAt, sentAt, fragmentOf, copies } = log;
  // Per arrival: the largest number received so far, and the first number of the run it skipped.
  const largest = new Float64Array(arrivals.length);
  const runStart = new Float64Array(arrivals.length);
  let max = -1;
  for (let i = 0; i < arrivals.length; i++) {
    const pn = arrivals[i]!.packetNumber;
    runStart[i] = max >= 0 && pn > max + 1 ? max + 1 : pn;
    max = Math.max(max, pn);
    largest[i] = max;
  }

  /**
   * Fate at t of the content of packet `pn`, had the receiver not asked for it at t: lost unless
   * some copy that does not depend on this request arrives. Those are the copies sent before a
   * request at t could reach the sender (`oneWayMs`, half the minimum RTT), and the answer to the
   * previous request, if any (the first copy sent within one RTT after it). Undefined while the
   * run does not tell.
   */
  const contentFate = (pn: number, t: number, oneWayMs: number, lastRequest: number | undefined, rttMs: number): 0 | 1 | undefined => {
    const fragment = fragmentOf.get(pn);
    let unknown = false;
    for (const c of fragment === undefined ? [pn] : (copies.get(fragment) ?? [pn])) {
      const sent = sentAt.get(c)!;
      const independent = sent < t + oneWayMs || (lastRequest !== undefined && sent > lastRequest && sent <= lastRequest + rttMs);
      if (!independent) continue;
      if (arrivedAt.has(c)) return 0;
      if (sent > settleBy) unknown = true;
    }
    return unknown ? undefined : 1;
  };

  /**
   * Fate at t of a tail request, which names the `count` packets after the largest received. The
   * sender resends only those that left it long enough ago (about half an RTT before t, as the
   * request arrives a one-way delay later); the request is needed only if all of those are lost,
   * and, for a repeat, the answer to the previous request too; wasted or spurious otherwise.
   */
  const tailFate = (next: number, count: number, t: number, oneWayMs: number, lastRequest: number | undefined, rttMs: number): 0 | 1 | undefined => {
    let eligible = 0;
    let unknown = false;
    for (let pn = next; pn < next + Math.max(1, count); pn++) {
      const sent = sentAt.get(pn);
      if (sent === undefined || sent > t - oneWayMs) break;
      if (arrivedAt.has(pn)) return 0;
      if (sent > settleBy) unknown = true;
      eligible++;
      // A repeat is needless when the answer to the previous request (the copies resent within
      // one RTT after it) arrives: a tail request names packet numbers, but its answer comes
      // under new ones, so the numbers alone would call every early repeat needed.
      const fragment = lastRequest === undefined ? undefined : fragmentOf.get(pn);
      for (const c of fragment === undefined ? [] : (copies.get(fragment) ?? [])) {
        const at = sentAt.get(c)!;
        if (at > lastRequest! && at <= lastRequest! + rttMs) {
          if (arrivedAt.has(c)) return 0;
          if (at > settleBy) unknown = true;
        }
      }
    }
    if (unknown) return undefined;
    return eligible > 0 ? 1 : 0;
  };

  const rows: LabelledDecision[] = [];
  const stats: LabelStats = { consultations: 0, unmatched: 0 };
  const seen = new Set<string>();
  for (const c of log.consultations) {
    const f = c.features;
    if (f.requestsSoFar >= maxRequests || c.latestArrival < 0) continue;
    stats.consultations++;
    const nextArrival = arrivals[c.latestArrival + 1]?.t ?? Infinity;
    let fates: (t: number) => (0 | 1 | undefined)[];
    let reconsultAt: number;
    // A tail's label names a packet number, which no request changes; a hole's label is about
    // its content, and past the request the running policy did make, the replay no longer shows
    // what would have happened without one.
    let horizon: number;
    if (f.tail) {
      const next = largest[c.latestArrival]! + 1;
      const lastRequest = f.requestsSoFar > 0 ? c.now - f.sinceLastRequestMs : undefined;
      fates = (t) => [tailFate(next, f.runLength, t, f.minRttMs / 2, lastRequest, Math.max(f.srttMs, 1))];
      reconsultAt = nextArrival;
      horizon = reconsultAt;
    } else {
      // The arrival that revealed this hole: `successors` arrivals ago, counting itself.
      const i = c.latestArrival + 1 - f.successors;
      const reveal = arrivals[i];
      if (!reveal || Math.abs(reveal.t - (c.now - f.gapAgeMs)) > 1e-6 || reveal.packetNumber - runStart[i]! !== f.runLength) {
        stats.unmatched++;
        continue;
      }
      // Every still-open hole of that run gets this same consultation: label each once.
      const key = `${c.now}|${i}|${f.requestsSoFar}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const open: number[] = [];
      for (let pn = runStart[i]!; pn < reveal.packetNumber; pn++) {
        if ((arrivedAt.get(pn) ?? Infinity) > c.now) open.push(pn);
      }
      const oneWay = f.minRttMs / 2;
      const lastRequest = f.requestsSoFar > 0 ? c.now - f.sinceLastRequestMs : undefined;
      fates = (t) => open.map((pn) => contentFate(pn, t, oneWay, lastRequest, Math.max(f.srttMs, 1)));
      // Unrequested holes are reconsulted at each arrival within the evidence horizon; a
      // requested one only when its next request goes out.
      reconsultAt = f.requestsSoFar === 0 && f.successors < EVIDENCE_HORIZON ? nextArrival : Infinity;
      horizon = Math.min(reconsultAt, c.verdict.requestAt ?? Infinity);
    }
    const rtt = Math.max(f.srttMs, 1);
    for (const step of WAIT_STEPS_RTT) {
      const waitMs = step * rtt;
      const t = c.now + waitMs;
      // Near the end of the run the outcome may still be on its way, whatever it is: stop
      // there for both labels, or short runs would keep late packets and drop lost ones.
      if ((step > 0 && (t >= reconsultAt || t > horizon)) || t > settleBy) break;
      const features = step === 0 ? f : advanceFeatures(f, waitMs);
      for (const lost of fates(t)) if (lost !== undefined) rows.push({ t, features, lost, waitMs });
    }
  }
  return { rows, stats };
}
