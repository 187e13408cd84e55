/**
 * The cleartext handshake: commit, then reveal (PROTOCOL.md §4).
 *
 * HELLO carries a SHA-256 commitment to the sender's ephemeral X25519 key; REVEAL carries the key
 * and is sent only once the peer's HELLO is held. So each side's key is fixed before it sees the
 * other's, and a man in the middle cannot search for keys that give both victims the same 20-bit
 * SAS (the reason ZRTP commits to its DH value, RFC 6189 §4.4.1.1). Both sides send HELLO at once;
 * the exchange is symmetric and tolerates loss, duplication and reordering: the first HELLO and
 * REVEAL of the peer are locked in, identical copies are answered again, different ones are forged.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import {
  decodeHello,
  decodeReveal,
  encodeHello,
  encodeReveal,
  HELLO_RANDOM_LENGTH,
  SUPPORTED_VERSIONS,
  type HelloPacket,
  type Role,
  type WireError,
} from '../wire/index.js';
import { constantTimeEqual } from './constant-time.js';
import { deriveHandshakeSecrets, type HandshakeSecrets } from './key-schedule.js';
import { LABEL_COMMIT } from './labels.js';
import { normalizeFingerprint, transcriptHash } from './transcript.js';

/** Why a handshake cannot complete (the session then fails). */
export type HandshakeFailure =
  | 'role_conflict'
  | 'no_common_version'
  | 'psk_mismatch'
  | 'fingerprint_mismatch'
  | 'low_order_key';

export interface HandshakeOptions {
  role: Role;
  psk: Uint8Array | undefined;
  localFingerprint: string | undefined;
  remoteFingerprint: string | undefined;
  randomBytes: (length: number) => Uint8Array;
}

export type HelloOutcome =
  | { kind: 'accepted'; duplicate: boolean }
  | { kind: 'forged' }
  | { kind: 'malformed'; error: WireError }
  | { kind: 'failed'; reason: HandshakeFailure };

export type RevealOutcome =
  | { kind: 'keyed'; transcriptHash: Uint8Array; secrets: HandshakeSecrets }
  | { kind: 'duplicate' }
  | { kind: 'buffered' }
  | { kind: 'forged' }
  | { kind: 'malformed'; error: WireError }
  | { kind: 'failed'; reason: HandshakeFailure };

function commitment(random: Uint8Array, publicKey: Uint8Array): Uint8Array {
  const input = new Uint8Array(LABEL_COMMIT.length + random.length + publicKey.length);
  input.set(LABEL_COMMIT);
  input.set(random, LABEL_COMMIT.length);
  input.set(publicKey, LABEL_COMMIT.length + random.length);
  return sha256(input);
}

export class Handshake {
  /** Our HELLO datagram (fixed for the session's life, so re-sends are byte-identical). */
  readonly hello: Uint8Array;
  /** Our REVEAL datagram. */
  readonly reveal: Uint8Array;
  private readonly options: HandshakeOptions;
  private secretKey: Uint8Array;
  private peerHelloBytes: Uint8Array | undefined;
  private peerHello: HelloPacket | undefined;
  private peerRevealBytes: Uint8Array | undefined;
  /** A REVEAL that overtook its HELLO, kept (one, bounded) until the HELLO arrives. */
  private earlyReveal: Uint8Array | undefined;

  constructor(options: HandshakeOptions) {
    this.options = options;
    this.secretKey = options.randomBytes(32);
    const publicKey = x25519.getPublicKey(this.secretKey);
    const random = options.randomBytes(HELLO_RANDOM_LENGTH);
    const hello = encodeHello({
      role: options.role,
      versions: [...SUPPORTED_VERSIONS],
      psk: options.psk !== undefined,
      fingerprints: options.localFingerprint !== undefined,
      random,
      commitment: commitment(random, publicKey),
    });
    const reveal = encodeReveal({ role: options.role, publicKey });
    if (!hello.ok || !reveal.ok) throw new Error('handshake encoding failed'); // fixed-size fields: unreachable
    this.hello = hello.value;
    this.reveal = reveal.value;
  }

  /** True when a REVEAL overtook its HELLO and can now be processed. */
  get hasEarlyReveal(): boolean {
    return this.earlyReveal !== undefined && this.peerHelloBytes !== undefined;
  }

  onHello(bytes: Uint8Array): HelloOutcome {
    // Decode a private copy: the caller may reuse its buffer, and the HELLO is kept.
    const copy = bytes.slice();
    const decoded = decodeHello(copy);
    if (!decoded.ok) return { kind: 'malformed', error: decoded.error };
    if (this.peerHelloBytes !== undefined) {
      return constantTimeEqual(copy, this.peerHelloBytes) ? { kind: 'accepted', duplicate: true } : { kind: 'forged' };
    }
    const hello = decoded.value;
    if (hello.role === this.options.role) return { kind: 'failed', reason: 'role_conflict' };
    if (!hello.versions.some((v) => SUPPORTED_VERSIONS.includes(v))) {
      return { kind: 'failed', reason: 'no_common_version' };
    }
    if (hello.psk !== (this.options.psk !== undefined)) return { kind: 'failed', reason: 'psk_mismatch' };
    if (hello.fingerprints !== (this.options.localFingerprint !== undefined)) {
      return { kind: 'failed', reason: 'fingerprint_mismatch' };
    }
    this.peerHelloBytes = copy;
    this.peerHello = hello;
    return { kind: 'accepted', duplicate: false };
  }

  /** Processes a REVEAL that arrived before its HELLO, once the HELLO is held. */
  takeEarlyReveal(): RevealOutcome {
    const bytes = this.earlyReveal as Uint8Array;
    this.earlyReveal = undefined;
    return this.onReveal(bytes);
  }

  onReveal(bytes: Uint8Array): RevealOutcome {
    const decoded = decodeReveal(bytes);
    if (!decoded.ok) return { kind: 'malformed', error: decoded.error };
    const { role, publicKey } = decoded.value;
    if (role === this.options.role) return { kind: 'forged' };
    if (this.peerRevealBytes !== undefined) {
      return constantTimeEqual(bytes, this.peerRevealBytes) ? { kind: 'duplicate' } : { kind: 'forged' };
    }
    const peerHello = this.peerHello;
    if (peerHello === undefined) {
      this.earlyReveal = bytes.slice();
      return { kind: 'buffered' };
    }
    if (!constantTimeEqual(commitment(peerHello.random, publicKey), peerHello.commitment)) return { kind: 'forged' };
    let shared: Uint8Array;
    try {
      // noble rejects low-order points (an all-zero shared secret) by throwing.
      shared = x25519.getSharedSecret(this.secretKey, publicKey);
    } catch {
      return { kind: 'failed', reason: 'low_order_key' };
    }
    if (shared.every((b) => b === 0)) return { kind: 'failed', reason: 'low_order_key' };
    this.peerRevealBytes = bytes.slice();
    this.secretKey.fill(0);
    const hash = transcriptHash(this.transcriptParts());
    const secrets = deriveHandshakeSecrets(shared, this.options.psk, hash);
    shared.fill(0);
    return { kind: 'keyed', transcriptHash: hash, secrets };
  }

  private transcriptParts() {
    const initiator = this.options.role === 'initiator';
    const peerHello = this.peerHelloBytes as Uint8Array;
    const peerReveal = this.peerRevealBytes as Uint8Array;
    const { localFingerprint, remoteFingerprint } = this.options;
    const local = localFingerprint === undefined ? new Uint8Array(0) : normalizeFingerprint(localFingerprint);
    const remote = remoteFingerprint === undefined ? new Uint8Array(0) : normalizeFingerprint(remoteFingerprint);
    return {
      initiatorHello: initiator ? this.hello : peerHello,
      responderHello: initiator ? peerHello : this.hello,
      initiatorReveal: initiator ? this.reveal : peerReveal,
      responderReveal: initiator ? peerReveal : this.reveal,
      initiatorFingerprint: initiator ? local : remote,
      responderFingerprint: initiator ? remote : local,
    };
  }
}
