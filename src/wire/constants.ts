/**
 * Numbers fixed by the PDU wire protocol, version 1. docs/PROTOCOL.md is the normative text;
 * every constant here is named there.
 */

/** The protocol version this implementation speaks (high nibble of byte 0). */
export const PROTOCOL_VERSION = 1;

/** Versions this implementation accepts, best first. Sent in HELLO and VERSION datagrams. */
export const SUPPORTED_VERSIONS: readonly number[] = [PROTOCOL_VERSION];

/**
 * Version nibble reserved for the version-invariant VERSION datagram, so that a peer of any
 * version can parse the answer to a version it does not speak (like QUIC's version 0).
 */
export const VERSION_NEGOTIATION = 0;

/** Packet types (byte 1 of every datagram). */
export const PacketType = {
  HELLO: 0x01,
  REVEAL: 0x02,
  DATA: 0x03,
  CONTROL: 0x04,
  VERSION: 0x05,
  /** Framing below the engine, never a packet it reads: several datagrams in one channel message (PROTOCOL.md section 13). */
  BUNDLE: 0x06,
} as const;
export type PacketType = (typeof PacketType)[keyof typeof PacketType];

/** Low-nibble flags of byte 0. */
export const FLAG_SHARDING = 0x01;
export const FLAG_KEY_PHASE = 0x02;
export const FLAGS_RESERVED = 0x0c;

/** Control frame types (first byte of each frame inside a CONTROL packet's encrypted body). */
export const FrameType = {
  ACK: 0x01,
  NACK: 0x02,
  PROBE: 0x03,
  ECHO: 0x04,
  CANCEL: 0x05,
  CLOSE: 0x06,
  FINISHED: 0x07,
  CANCEL_RESULT: 0x08,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Message flags byte of a DATA fragment header. */
export const MESSAGE_FLAG_ORDERED = 0x01;
export const MESSAGE_FLAG_RELIABLE = 0x02;
export const MESSAGE_FLAG_DEADLINE = 0x04;
/** Acknowledge this datagram at once: a retransmission, or nothing more queued behind it. */
export const MESSAGE_FLAG_ACK_NOW = 0x08;
/** The second copy of a duplicated resend: a receiver that holds the fragment need not acknowledge it. */
export const MESSAGE_FLAG_COPY = 0x10;
export const MESSAGE_FLAGS_RESERVED = 0xe0;

/** HELLO flags byte. */
export const HELLO_FLAG_PSK = 0x01;
export const HELLO_FLAG_FINGERPRINTS = 0x02;
export const HELLO_FLAGS_RESERVED = 0xfc;

/** Handshake roles as encoded on the wire. */
export const ROLE_INITIATOR = 0;
export const ROLE_RESPONDER = 1;

/** Poly1305 tag length appended to every sealed datagram. */
export const TAG_LENGTH = 16;
/** X25519 public key length. */
export const PUBLIC_KEY_LENGTH = 32;
/** HELLO random length. */
export const HELLO_RANDOM_LENGTH = 32;
/** SHA-256 commitment to the REVEAL's public key, carried in HELLO. */
export const COMMITMENT_LENGTH = 32;
/** FINISHED verify data length (HMAC-SHA256). */
export const FINISHED_LENGTH = 32;

/** Bytes of the truncated packet number in DATA and CONTROL headers. */
export const PACKET_NUMBER_LENGTH = 4;
/** Version/flags byte + type byte + truncated packet number. */
export const SEALED_PREFIX_LENGTH = 2 + PACKET_NUMBER_LENGTH;

/** Largest value of a QUIC variable-length integer (RFC 9000 §16). */
export const MAX_VARINT = 2 ** 62 - 1;
/** Largest value a 4-byte varint holds; the bound of every fragment-header field. */
export const MAX_VARINT4 = 2 ** 30 - 1;

/** Largest message number, ordered sequence number and fragment count a DATA header carries. */
export const MAX_MESSAGE_NUMBER = MAX_VARINT4;
export const MAX_ORDERED_SEQUENCE = MAX_VARINT4;
export const MAX_TOTAL_FRAGMENTS = MAX_VARINT4;

/**
 * Largest packet number ever used in a direction. Packet numbers stay exact JavaScript numbers
 * (below 2^53) and a session closes long before the nonce counter (64 bits) or QUIC's 2^62 limit:
 * at a million datagrams per second, 2^48 lasts nine years.
 */
export const MAX_PACKET_NUMBER = 2 ** 48;

/** Longest CLOSE reason, in UTF-8 bytes. Encoders cut longer reasons at a character boundary. */
export const MAX_CLOSE_REASON_BYTES = 256;

/** Default largest datagram (one data-channel message), chosen to fit one SCTP DATA chunk. */
export const DEFAULT_MAX_DATAGRAM_SIZE = 1150;
