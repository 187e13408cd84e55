/**
 * End-to-end session security for PDU: X25519 commit/reveal handshake, HKDF-SHA256 key schedule,
 * ChaCha20-Poly1305 per datagram, replay window, key update and short authentication string
 * (docs/SECURITY.md, docs/PROTOCOL.md).
 */
export {
  SecureSession,
  DEFAULT_KEY_GRACE_MS,
  DEFAULT_REKEY_AFTER_MS,
  DEFAULT_REKEY_AFTER_PACKETS,
  DEFAULT_REPLAY_WINDOW,
  VERSION_REPLY_INTERVAL_MS,
} from './session.js';
export {
  DROP_REASONS,
  SessionError,
  type DropReason,
  type FailureReason,
  type SecurityCounters,
  type SessionConfig,
  type SessionReceive,
  type SessionState,
} from './types.js';
export type { HandshakeFailure } from './handshake.js';
export { normalizeFingerprint } from './transcript.js';
