/**
 * The seed's data structures as public types, plus the frames the protocol needs.
 * Byte layouts are in docs/PROTOCOL.md.
 */
import type { PacketType } from './constants.js';

/**
 * The cleartext header of a sealed datagram (DATA or CONTROL), the seed's `PacketHeader`.
 * From the wire decoders `packetNumber` is the 32-bit truncated value; from `SecureSession` it is
 * the full per-direction packet number and `uuid` is the DATA fragment's message UUID.
 */
export interface PacketHeader {
  /** Protocol version, the high nibble of byte 0. */
  version: number;
  /** The S flag: this data message was split by the congestion-driven sharding policy. */
  shardingEnabled: boolean;
  /** The K flag: which key epoch (parity) sealed the packet. */
  keyPhase: 0 | 1;
  type: PacketType;
  packetNumber: number;
  /** Message UUID of a DATA packet's fragment (filled in by the session). */
  uuid?: string;
}

/**
 * One fragment of an application message, the seed's `FragmentHeader`. On the wire it carries
 * the compact `messageNumber`; `uuid` is recomputed from it by both peers (see `SecureSession.messageUuid`).
 */
export interface FragmentHeader {
  /** RFC 9562 version-8 UUID of the message, derived from the session key, direction and message number. */
  uuid: string;
  /** Per-session, per-direction message number, 0 .. 2^30 - 1. */
  messageNumber: number;
  /** Index of this fragment, 0 .. totalFragments - 1. */
  sequenceNumber: number;
  /** Fragments in the message, 1 .. 2^30 - 1. */
  totalFragments: number;
  /** Deliver in `orderedSequence` order relative to other ordered messages. */
  ordered: boolean;
  /** Retransmit until acknowledged (otherwise the sender may CANCEL it at its deadline). */
  reliable: boolean;
  /** Position among this direction's ordered messages; present exactly when `ordered`. */
  orderedSequence?: number;
  /**
   * The message's deadline on the sender's session clock (whole ms since its session began,
   * modulo 2^32); present exactly when the message has one. The receiver places it on its own
   * clock with the sender's PROBE times.
   */
  deadline?: number;
  /**
   * Set on a retransmission and on the datagram after which the sender has nothing more queued
   * (the tail of a flight): the receiver acknowledges it at once, so that the sender can tell a
   * lost datagram from a delayed ACK one round trip after sending it. Per datagram, not per
   * message.
   */
  ackNow?: boolean;
  /**
   * Set on the second copy of a duplicated retransmission: a receiver that already holds the
   * fragment (the first copy arrived, and its ACK covers the pair) does not acknowledge it.
   * Per datagram.
   */
  copy?: boolean;
  /** Fragment bytes (plaintext in the session API, ciphertext in `decodeDataHeader`). */
  data: Uint8Array;
}

/** A fragment as the wire carries it: everything but the UUID. */
export type WireFragment = Omit<FragmentHeader, 'uuid'>;

/** An inclusive range of packet numbers. */
export interface PacketRange {
  smallest: number;
  largest: number;
}

/**
 * Acknowledges packets. `ranges` are disjoint, in descending order, separated by at least one
 * unacknowledged packet; the largest acknowledged packet number is `ranges[0].largest`.
 */
export interface AckFrame {
  type: 'ack';
  /** Milliseconds between receiving the largest acknowledged packet and sending this ACK. */
  ackDelay: number;
  ranges: PacketRange[];
}

/** Packets the receiver believes lost (same range rules as ACK); the sender resends their fragments in new packets. */
export interface NackFrame {
  type: 'nack';
  ranges: PacketRange[];
}

/** RTT / jitter probe: the peer answers with an ECHO. Times are the sender's clock, in ms. */
export interface ProbeFrame {
  type: 'probe';
  id: number;
  sendTime: number;
}

/** Answer to a PROBE: the probe's own send time, and how long the peer held it before echoing (ms). */
export interface EchoFrame {
  type: 'echo';
  id: number;
  echoedSendTime: number;
  holdTime: number;
}

/** Message numbers the sender abandoned (deadline expired): the receiver drops their fragments. */
export interface CancelFrame {
  type: 'cancel';
  messageNumbers: number[];
}

/**
 * The receiver's answer to CANCEL, for every number it named: `completed`, the receiver had the
 * whole message (and delivers it); `abandoned`, it dropped it or never had it. The sender of a
 * message whose deadline passed settles it on this answer, so both sides report the same outcome.
 */
export interface CancelResultFrame {
  type: 'cancel-result';
  completed: number[];
  abandoned: number[];
}

/** Ends the session: a code from `CloseCode` (or an application code) and a short UTF-8 reason. */
export interface CloseFrame {
  type: 'close';
  code: number;
  reason: string;
}

/** Key confirmation: HMAC-SHA256 of the transcript hash under the sender's finished key. */
export interface FinishedFrame {
  type: 'finished';
  verifyData: Uint8Array;
}

export type ControlFrame =
  | AckFrame
  | NackFrame
  | ProbeFrame
  | EchoFrame
  | CancelFrame
  | CancelResultFrame
  | CloseFrame
  | FinishedFrame;

/** Handshake role. */
export type Role = 'initiator' | 'responder';

/**
 * HELLO: cleartext, first handshake flight. Commits to the sender's ephemeral key without
 * revealing it, so that no one can choose a key after seeing the other side's (see PROTOCOL.md).
 */
export interface HelloPacket {
  role: Role;
  /** Protocol versions the sender speaks, best first. */
  versions: number[];
  /** The sender will mix a pre-shared key into the key schedule. */
  psk: boolean;
  /** The sender binds both DTLS fingerprints into the transcript. */
  fingerprints: boolean;
  random: Uint8Array;
  /** SHA-256("pdu v1 commit" || random || public key). */
  commitment: Uint8Array;
}

/** REVEAL: cleartext, second handshake flight, sent only after holding the peer's HELLO. */
export interface RevealPacket {
  role: Role;
  publicKey: Uint8Array;
}

/** VERSION: the version-invariant answer to a datagram of a version the receiver does not speak. */
export interface VersionPacket {
  /** The version (nibble) that was refused. */
  refusedVersion: number;
  /** Versions the sender speaks, best first. */
  supported: number[];
}

/** Close / error codes carried in CLOSE frames. Codes 0x100 and above belong to the application. */
export const CloseCode = {
  /** Normal close. */
  NO_ERROR: 0x00,
  /** Internal error of the sender. */
  INTERNAL_ERROR: 0x01,
  /** A datagram broke the protocol (malformed frame after authentication). */
  PROTOCOL_VIOLATION: 0x02,
  /** Key confirmation failed or the handshake could not complete. */
  HANDSHAKE_FAILED: 0x03,
  /** The sender ran out of packet or message numbers. */
  NUMBERS_EXHAUSTED: 0x04,
  /** Idle timeout or the peer stopped answering. */
  TIMEOUT: 0x05,
  /** The application closed the channel. */
  APPLICATION_CLOSE: 0x06,
  /** First code available to applications. */
  APPLICATION_BASE: 0x100,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
