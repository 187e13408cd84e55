/**
 * Bytes 0 and 1 of every datagram: the version/flags byte and the packet type. This is the
 * "protocol extension" a receiver or a relay uses to recognise PDU traffic and sharded messages
 * without any key.
 */
import {
  FLAG_KEY_PHASE,
  FLAG_SHARDING,
  FLAGS_RESERVED,
  PacketType,
  SUPPORTED_VERSIONS,
  VERSION_NEGOTIATION,
} from './constants.js';
import type { DecodeResult } from './errors.js';
import { fail, ok } from './errors.js';

/** What bytes 0-1 say about a datagram. */
export interface PacketPrefix {
  version: number;
  shardingEnabled: boolean;
  keyPhase: 0 | 1;
  type: PacketType;
}

/** Types the engine reads: a BUNDLE is split by the driver below it and is never a packet here. */
const KNOWN_TYPES: ReadonlySet<number> = new Set(Object.values(PacketType).filter((t) => t !== PacketType.BUNDLE));

/** Byte 0 for `version` and the two flags. */
export function versionFlagsByte(version: number, sharding: boolean, keyPhase: 0 | 1): number {
  return (version << 4) | (sharding ? FLAG_SHARDING : 0) | (keyPhase === 1 ? FLAG_KEY_PHASE : 0);
}

/**
 * Decodes and validates bytes 0-1. Version 0 is only valid for VERSION datagrams (and they are
 * valid only with version 0). The S flag is only valid on DATA, the K flag on DATA and CONTROL.
 */
export function decodePrefix(bytes: Uint8Array): DecodeResult<PacketPrefix> {
  const first = bytes[0];
  const type = bytes[1];
  if (first === undefined || type === undefined) return fail('truncated', 'datagram shorter than 2 bytes');
  const version = first >>> 4;
  if (version !== VERSION_NEGOTIATION && !SUPPORTED_VERSIONS.includes(version)) {
    return { ok: false, error: { code: 'unknown_version', message: `version ${version}`, version } };
  }
  if ((first & FLAGS_RESERVED) !== 0) return fail('reserved_bits', 'reserved flag bits set');
  if (!KNOWN_TYPES.has(type)) return fail('unknown_type', `packet type 0x${type.toString(16)}`);
  if ((version === VERSION_NEGOTIATION) !== (type === PacketType.VERSION)) {
    return fail('unknown_type', `packet type 0x${type.toString(16)} with version ${version}`);
  }
  const sharding = (first & FLAG_SHARDING) !== 0;
  const keyPhase = (first & FLAG_KEY_PHASE) !== 0 ? 1 : 0;
  if (sharding && type !== PacketType.DATA) return fail('reserved_bits', 'S flag outside DATA');
  if (keyPhase === 1 && type !== PacketType.DATA && type !== PacketType.CONTROL) {
    return fail('reserved_bits', 'K flag outside DATA and CONTROL');
  }
  return ok({ version, shardingEnabled: sharding, keyPhase, type: type as PacketType });
}

/**
 * True when a datagram looks like PDU traffic of a version this build knows (a relay's test).
 * It checks bytes 0-1 only: anyone can forge them, so it is a classifier, not an authenticator.
 */
export function isPduDatagram(bytes: Uint8Array): boolean {
  return decodePrefix(bytes).ok;
}
