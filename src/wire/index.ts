/**
 * PDU wire protocol v1: types, constants and total encoders/decoders (docs/PROTOCOL.md).
 * Decoders never throw and never copy more than the datagram; encoders return a typed error
 * for out-of-range fields.
 */
export * from './constants.js';
export * from './errors.js';
export * from './types.js';
export { DatagramPool } from './datagram-pool.js';
export { decodeVarint, encodeVarint, isVarint, varintLength, writeVarint } from './varint.js';
export { decodePrefix, isPduDatagram, versionFlagsByte, type PacketPrefix } from './prefix.js';
export { decodeHello, decodeReveal, encodeHello, encodeReveal, MAX_LISTED_VERSIONS } from './handshake.js';
export { decodeVersionPacket, encodeVersionPacket } from './version.js';
export { reconstructPacketNumber, truncatePacketNumber } from './packet-number.js';
export {
  checkFragmentFields,
  dataHeaderLength,
  decodeSealedPacket,
  encodeSealedPacket,
  maxDataHeaderLength,
  maxFragmentPayload,
  writeSealedHeader,
  type FragmentFields,
  type SealedHeaderFields,
  type SealedPacket,
} from './sealed.js';
export {
  closeReasonBytes,
  decodeControlFrame,
  decodeControlFrames,
  encodeControlFrame,
  encodeControlFrames,
} from './frames.js';
