export interface ShardingOptions {
  enabled: boolean;
  /** Severity above which the congestion-driven size applies. */
  severityThreshold: number;
  /** Smallest fragment payload the policy may choose, bytes. */
  minFragmentSize: number;
}

export interface PathCondition {
  /** Largest fragment payload one datagram carries (path-safe size minus headers). */
  maxPayload: number;
  /** Per-datagram wire bytes that are not payload: PDU's header and AEAD tag, and the stack's headers below. */
  overheadBytes: number;
  packetLoss: number;
  severity: number;
}

export interface ShardingDecision {
  /** The congestion-driven policy chose the size (the wire's S flag). */
  sharded: boolean;
  /** Payload bytes per fragment (the last may be shorter). */
  fragmentSize: number;
  totalFragments: number;
  /** Its retransmissions go out twice (redundancy-policy.ts); false unless the engine sets it. */
  duplicateResends?: boolean;
}

/**
 * Chooses how a message is cut into datagrams.
 *
 * Standard transmission: one datagram when the message fits, otherwise full-size fragments.
 *
 * Sharding (enabled and severity above the threshold): the fragment size minimises the expected
 * wire bytes per delivered payload byte. Loss is split in two parts. A share `severity` of the
 * measured loss is attributed to congestion, which drops in proportion to bytes (byte-limited
 * queues, bit errors): per byte with probability b, where (1 - b)^s = 1 - loss*severity at
 * the full datagram size s. The rest is random per-packet loss, independent of size. A
 * fragment of f payload bytes costs f + h wire bytes per attempt and needs 1 / P(arrive)
 * attempts on average, so per payload byte
 *     C(f) = (1 + h/f) / ((1 - p_random) * (1 - b)^(f + h)).
 * Setting d ln C / df = 0 gives f (f + h) = h / lambda with lambda = -ln(1 - b), that is
 *     f* = (sqrt(h^2 + 4h/lambda) - h) / 2.
 * Small headers or little congestive loss push f* up to the path maximum; heavy congestive loss
 * brings it down, never below `minFragmentSize`. Fragments are then balanced so that a message
 * is cut into equal pieces instead of full ones and a runt.
 */
export class ShardingPolicy {
  constructor(private readonly options: ShardingOptions) {}

  decide(messageBytes: number, path: PathCondition): ShardingDecision {
    const max = Math.max(1, path.maxPayload);
    const shard = this.options.enabled && path.severity > this.options.severityThreshold;
    if (!shard) {
      const totalFragments = Math.max(1, Math.ceil(messageBytes / max));
      return { sharded: false, fragmentSize: max, totalFragments };
    }
    const target = Math.min(max, Math.max(this.options.minFragmentSize, this.optimalSize(path)));
    const totalFragments = Math.max(1, Math.ceil(messageBytes / target));
    const balanced = Math.max(1, Math.ceil(messageBytes / totalFragments));
    return { sharded: true, fragmentSize: Math.min(max, balanced), totalFragments };
  }

  /** f* from the expected-cost rule above (the path maximum when there is no congestive loss). */
  optimalSize(path: PathCondition): number {
    const h = Math.max(1, path.overheadBytes);
    const datagram = path.maxPayload + h;
    const congestiveLoss = Math.min(0.99, Math.max(0, path.packetLoss * path.severity));
    // log1p keeps a tiny loss from rounding to log(1) = -0, whose division gave -Infinity and a
    // NaN size: a message cut into NaN fragments was never sent (the sender then stalled).
    const lambda = -Math.log1p(-congestiveLoss) / datagram;
    if (!(lambda > 0)) return path.maxPayload;
    const size = Math.floor((Math.sqrt(h * h + (4 * h) / lambda) - h) / 2);
    return Number.isFinite(size) ? size : path.maxPayload;
  }
}
