import type { AeadProvider } from './aead.js';
/**
 * Public types of the secure session (src/crypto/session.ts).
 */
import type { ControlFrame, FragmentHeader, PacketHeader, Role, WireError } from '../wire/index.js';
import type { HandshakeFailure } from './handshake.js';

export interface SessionConfig {
  role: Role;
  /**
   * Optional pre-shared key (at least 16 bytes) mixed into the key schedule. With it, a man in
   * the middle cannot complete the handshake at all (the session fails with `handshake_failed`).
   */
  psk?: Uint8Array;
  /** Our DTLS fingerprint from our SDP (`a=fingerprint:` value). Give both or neither. */
  localFingerprint?: string;
  /** The peer's DTLS fingerprint from its SDP. Give both or neither. */
  remoteFingerprint?: string;
  /** Randomness source (defaults to crypto.getRandomValues); injectable for deterministic tests. */
  randomBytes?: (length: number) => Uint8Array;
  /** Move to new keys after this many packets in an epoch (default 2^24). */
  rekeyAfterPackets?: number;
  /** Move to new keys after this many ms in an epoch (default 600 000 = 10 min). */
  rekeyAfterMs?: number;
  /** How long previous receive keys are kept after the peer moved on (default 10 000 ms). */
  keyGraceMs?: number;
  /** Packet numbers remembered by the replay window (default 1024; rounded up to a multiple of 32). */
  replayWindow?: number;
  /** Largest datagram this session seals (default 1150). */
  maxDatagramSize?: number;
  /** Who runs ChaCha20-Poly1305: the WebAssembly core or (default) the TypeScript reference. */
  aead?: AeadProvider;
}

export type SessionState = 'handshaking' | 'keyed' | 'established' | 'failed' | 'closed';

/** Why a session failed. */
export type FailureReason = HandshakeFailure | 'handshake_failed' | 'peer_refused_version' | 'numbers_exhausted';

/** Why a received datagram was dropped (each is counted). */
export type DropReason =
  /** Could not be decoded (cleartext header, handshake datagram, or frames after authentication). */
  | 'malformed'
  /** A version this build does not speak (the result carries a VERSION reply, rate-limited). */
  | 'unknown_version'
  /** A sealed datagram before we hold keys. */
  | 'not_keyed'
  /** The AEAD tag did not verify: modified in transit, wrong key, or forged. */
  | 'auth_failed'
  /** A packet number already accepted (replay). */
  | 'duplicate'
  /** A packet number older than the replay window. */
  | 'too_old'
  /** Sealed under an epoch whose keys were already discarded. */
  | 'stale_key'
  /** A handshake datagram that contradicts the one already accepted, or fails its commitment. */
  | 'forged_handshake'
  /** A VERSION datagram that changes nothing (we share a version, or keys already exist). */
  | 'unexpected_version_packet'
  /** The session has failed; nothing more is accepted. */
  | 'failed'
  /** The session is closed; nothing more is accepted. */
  | 'closed';

export const DROP_REASONS: readonly DropReason[] = [
  'malformed',
  'unknown_version',
  'not_keyed',
  'auth_failed',
  'duplicate',
  'too_old',
  'stale_key',
  'forged_handshake',
  'unexpected_version_packet',
  'failed',
  'closed',
];

/** What `SecureSession.receive` made of a datagram. It never throws. */
export type SessionReceive =
  /** A handshake datagram (or a repeated FINISHED) was accepted; send every datagram of `reply` (possibly none). */
  | { kind: 'handshake'; reply: Uint8Array[]; keyed: boolean }
  /** The peer's key confirmation opened: the session is established. */
  | { kind: 'established'; sas: string }
  /**
   * An authenticated fragment. `establishedNow` when this packet established the session.
   * `fragment.data` is a view of a buffer the session reuses: valid until the next `receive`.
   */
  | { kind: 'data'; packetNumber: number; header: PacketHeader; fragment: FragmentHeader; establishedNow?: true }
  /** Authenticated control frames (FINISHED is consumed by the session and not listed). */
  | { kind: 'control'; packetNumber: number; frames: ControlFrame[]; establishedNow?: true }
  /** The session failed (state is now 'failed'). */
  | { kind: 'failed'; reason: FailureReason }
  /** Dropped and counted. `reply`, when present, is to be sent (a VERSION answer). */
  | { kind: 'dropped'; reason: DropReason; error?: WireError; reply?: Uint8Array[] };

export interface SecurityCounters {
  /** Packets sealed (DATA + CONTROL). */
  sealed: number;
  /** Packets that authenticated. */
  opened: number;
  /** Drops per reason. */
  dropped: Record<DropReason, number>;
  /** Identical re-sent HELLO/REVEAL datagrams answered idempotently. */
  handshakeDuplicates: number;
  /** Current epochs (the K bit is the epoch's parity). */
  sendEpoch: number;
  receiveEpoch: number;
  /** Key updates done by us (send) and followed from the peer (receive). */
  sendRekeys: number;
  receiveRekeys: number;
}

/** Thrown by the seal methods on caller errors (never on peer input). */
export class SessionError extends Error {
  readonly code: 'not_keyed' | 'closed' | 'failed' | 'field_range' | 'too_large' | 'numbers_exhausted';

  constructor(code: SessionError['code'], message: string) {
    super(message);
    this.name = 'SessionError';
    this.code = code;
  }
}
