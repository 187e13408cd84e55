/** Why a PduChannel call failed. */
export type PduChannelErrorCode =
  /** The message's deadline passed before the peer had all of it. */
  | 'expired'
  /** The channel closed (locally, by the peer, or because the peer vanished) before delivery. */
  | 'closed'
  /** Larger than the configured maximum message size. */
  | 'too-large'
  /** The send buffer stayed full for longer than `backpressureTimeoutMs`. */
  | 'backpressure-timeout'
  /** The worker running the session died. */
  | 'worker-failed'
  /** The handshake did not complete (wrong PSK, a man in the middle, or no answer in time). */
  | 'handshake-failed'
  | 'invalid-argument';

export class PduChannelError extends Error {
  override readonly name = 'PduChannelError';
  constructor(
    readonly code: PduChannelErrorCode,
    message: string,
  ) {
    super(message);
  }
}
