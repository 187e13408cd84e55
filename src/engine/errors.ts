/** Why `send` (or another local call) refused: the caller's mistake or a full buffer, never peer input. */
export type PduErrorCode =
  /** The send buffer (bytes or messages) is full: wait for `delivered` / `expired` events and retry. */
  | 'backpressure'
  /** The message exceeds `limits.maxMessageBytes`. */
  | 'too-large'
  /** No keys yet: message UUIDs derive from the session key, so `send` waits for the handshake. */
  | 'not-connected'
  | 'closed'
  /** Message numbers for this session are used up: start a new session. */
  | 'exhausted'
  | 'invalid-argument';

export class PduError extends Error {
  constructor(
    readonly code: PduErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PduError';
  }
}
