import type { GapFeatures, GapVerdict, LossPredictor } from '../predict/loss-predictor.js';

/** One consultation of the predictor, tied to the receiver's arrival history at that moment. */
export interface Consultation {
  now: number;
  features: GapFeatures;
  verdict: GapVerdict;
  /** Index (into the receiver's arrival log) of the latest packet it had received. */
  latestArrival: number;
}

/** A packet the receiver got: its number and when. */
export interface Arrival {
  packetNumber: number;
  t: number;
}

/**
 * What a replay learns about one direction: every packet the sender put on the link, every one
 * that arrived, and every time the receiver's predictor was asked. The link, unlike the
 * receiver, knows whether a missing packet was dropped or is still on its way, which is what
 * makes the labels exact.
 */
export class DecisionLog {
  readonly arrivals: Arrival[] = [];
  /** Packet number -> arrival time, for packets that arrived. */
  readonly arrivedAt = new Map<number, number>();
  /** Packet number -> time it was put on the link. */
  readonly sentAt = new Map<number, number>();
  /** Packet number -> the fragment it carries (`message:sequence`), for DATA packets. */
  readonly fragmentOf = new Map<number, string>();
  /** Fragment -> every packet that carried it (the original and its retransmissions), in send order. */
  readonly copies = new Map<string, number[]>();
  readonly consultations: Consultation[] = [];

  onSent(packetNumber: number, t: number, fragment?: string): void {
    if (this.sentAt.has(packetNumber)) return;
    this.sentAt.set(packetNumber, t);
    if (fragment === undefined) return;
    this.fragmentOf.set(packetNumber, fragment);
    const list = this.copies.get(fragment);
    if (list) list.push(packetNumber);
    else this.copies.set(fragment, [packetNumber]);
  }

  onArrival(packetNumber: number, t: number): void {
    this.arrivals.push({ packetNumber, t });
    if (!this.arrivedAt.has(packetNumber)) this.arrivedAt.set(packetNumber, t);
  }

  /** Wraps the receiver's predictor so that each consultation is logged with the arrival context. */
  wrap(inner: LossPredictor): LossPredictor {
    const log = this;
    return {
      name: inner.name,
      assess(features: GapFeatures, now: number): GapVerdict {
        const verdict = inner.assess(features, now);
        log.consultations.push({ now, features: { ...features }, verdict, latestArrival: log.arrivals.length - 1 });
        return verdict;
      },
    };
  }
}
