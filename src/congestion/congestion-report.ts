/**
 * The seed's congestion report, with the fields CONTRACTS.md fixes. `severity` in [0, 1] is what
 * the sharding policy compares with its threshold.
 */
export interface CongestionReport {
  /** Engine clock, ms. */
  timestamp: number;
  /** Smoothed RTT, ms. */
  latency: number;
  jitter: number;
  /** Fraction 0..1 of packets lost on the path we send on. */
  packetLoss: number;
  /** Estimated deliverable rate, bits/s. */
  bandwidth: number;
  /** Bytes waiting below PDU (the data channel's buffer), as adapters report it. */
  queueBytes: number;
  severity: number;
}

/**
 * What adapters feed in from `getStats()`, `bufferedAmount` or the SCTP association. Every field
 * is optional: stacks expose different subsets (DESIGN.md, "Congestion input").
 */
export interface CongestionSample {
  /** Time the sample was taken, on the engine's clock; defaults to the engine's last time. */
  timestamp?: number;
  /** Path RTT from ICE checks or SCTP, ms. */
  rttMs?: number;
  /** Bytes queued in the data channel (bufferedAmount, or werift's flightSize). */
  queueBytes?: number;
  /** Available outgoing bitrate, bits/s, where the stack reports one. */
  availableBitrate?: number;
  /** The SCTP association's congestion window, bytes (werift). */
  transportCwndBytes?: number;
}
