/** Share of messages needing a second recovery round above which that round sets the p99. */
export const SECOND_ROUND_SHARE = 0.01;

export type DuplicationMode = boolean | 'auto';

export interface RedundancyCondition {
  /** Fragments the message was cut into. */
  totalFragments: number;
  /** Measured share of datagrams lost. */
  packetLoss: number;
  /** The congestion report's pressure from queueing alone (delay and queue below PDU, loss left out), 0..1. */
  queueingPressure: number;
}

/**
 * Whether a message's retransmissions go out twice. A message is among the slowest when a
 * retransmission of it is lost too: a second recovery round. With f fragments and loss p about
 * f * p^2 of messages need one, and once that passes 1% the p99 is a second round; a second copy
 * makes it f * p^3. The copies cost about p of the payload again, which only pays while the
 * path has room: once the queue below PDU or the queueing delay grows, extra bytes lengthen
 * every message's wait (on one lossy Chromium association they raised the p99 from 0.5-0.9 s to
 * 1.4 s), so 'auto' stops duplicating there.
 */
export function duplicatesResends(mode: DuplicationMode, maxQueueingPressure: number, c: RedundancyCondition): boolean {
  if (mode !== 'auto') return mode;
  const p = Math.min(1, Math.max(0, c.packetLoss));
  // A bound of 1 is no bound: full pressure still duplicates.
  return c.totalFragments * p * p >= SECOND_ROUND_SHARE && (maxQueueingPressure >= 1 || c.queueingPressure < maxQueueingPressure);
}
