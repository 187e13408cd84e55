/**
 * HELLO and REVEAL, the cleartext handshake datagrams (layouts in PROTOCOL.md §4).
 */
import {
  COMMITMENT_LENGTH,
  HELLO_FLAG_FINGERPRINTS,
  HELLO_FLAG_PSK,
  HELLO_FLAGS_RESERVED,
  HELLO_RANDOM_LENGTH,
  PacketType,
  PROTOCOL_VERSION,
  PUBLIC_KEY_LENGTH,
  ROLE_INITIATOR,
  ROLE_RESPONDER,
} from './constants.js';
import type { DecodeResult } from './errors.js';
import { fail, ok } from './errors.js';
import { decodePrefix, versionFlagsByte } from './prefix.js';
import { ByteReader } from './reader.js';
import type { HelloPacket, RevealPacket, Role } from './types.js';
import { ByteWriter } from './writer.js';

/** Most versions a HELLO or VERSION datagram lists (versions are nibbles 1..15). */
export const MAX_LISTED_VERSIONS = 15;

export function validVersionList(versions: readonly number[]): boolean {
  return (
    versions.length >= 1 &&
    versions.length <= MAX_LISTED_VERSIONS &&
    versions.every((v) => Number.isInteger(v) && v >= 1 && v <= 15)
  );
}

function roleByte(role: Role): number {
  return role === 'initiator' ? ROLE_INITIATOR : ROLE_RESPONDER;
}

function readRole(reader: ByteReader): Role {
  const value = reader.u8('role');
  if (value === ROLE_INITIATOR) return 'initiator';
  if (value !== ROLE_RESPONDER) reader.fail('field_range', `role ${value}`);
  return 'responder';
}

function readVersionList(reader: ByteReader): number[] {
  const count = reader.u8('version count');
  if (count < 1 || count > MAX_LISTED_VERSIONS) {
    reader.fail('field_range', `version count ${count}`);
    return [];
  }
  const listed = reader.take('versions', count);
  const versions = Array.from(listed);
  if (!validVersionList(versions)) reader.fail('field_range', 'listed version outside 1..15');
  return versions;
}

/** Checks bytes 0-1 for a cleartext handshake datagram of `type`. */
function expectPrefix(bytes: Uint8Array, type: PacketType): DecodeResult<null> {
  const prefix = decodePrefix(bytes);
  if (!prefix.ok) return prefix;
  if (prefix.value.type !== type) return fail('unknown_type', `expected packet type ${type}`);
  return ok(null);
}

export function encodeHello(hello: HelloPacket): DecodeResult<Uint8Array> {
  if (!validVersionList(hello.versions)) return fail('field_range', 'versions: 1..15 entries of 1..15');
  if (hello.random.length !== HELLO_RANDOM_LENGTH) return fail('field_range', 'random: 32 bytes');
  if (hello.commitment.length !== COMMITMENT_LENGTH) return fail('field_range', 'commitment: 32 bytes');
  const w = new ByteWriter(5 + hello.versions.length + HELLO_RANDOM_LENGTH + COMMITMENT_LENGTH);
  w.u8(versionFlagsByte(PROTOCOL_VERSION, false, 0));
  w.u8(PacketType.HELLO);
  w.u8(roleByte(hello.role));
  w.u8((hello.psk ? HELLO_FLAG_PSK : 0) | (hello.fingerprints ? HELLO_FLAG_FINGERPRINTS : 0));
  w.u8(hello.versions.length);
  for (const v of hello.versions) w.u8(v);
  w.put(hello.random);
  w.put(hello.commitment);
  return ok(w.bytes);
}

/** Decodes a HELLO; `random` and `commitment` are views into `bytes`. */
export function decodeHello(bytes: Uint8Array): DecodeResult<HelloPacket> {
  const prefix = expectPrefix(bytes, PacketType.HELLO);
  if (!prefix.ok) return prefix;
  const r = new ByteReader(bytes, 2);
  const role = readRole(r);
  const flags = r.u8('flags');
  if ((flags & HELLO_FLAGS_RESERVED) !== 0) r.fail('reserved_bits', 'HELLO flags');
  const versions = readVersionList(r);
  const random = r.take('random', HELLO_RANDOM_LENGTH);
  const commitment = r.take('commitment', COMMITMENT_LENGTH);
  r.expectEnd('HELLO');
  if (r.error !== undefined) return { ok: false, error: r.error };
  return ok({
    role,
    versions,
    psk: (flags & HELLO_FLAG_PSK) !== 0,
    fingerprints: (flags & HELLO_FLAG_FINGERPRINTS) !== 0,
    random,
    commitment,
  });
}

export function encodeReveal(reveal: RevealPacket): DecodeResult<Uint8Array> {
  if (reveal.publicKey.length !== PUBLIC_KEY_LENGTH) return fail('field_range', 'public key: 32 bytes');
  const w = new ByteWriter(3 + PUBLIC_KEY_LENGTH);
  w.u8(versionFlagsByte(PROTOCOL_VERSION, false, 0));
  w.u8(PacketType.REVEAL);
  w.u8(roleByte(reveal.role));
  w.put(reveal.publicKey);
  return ok(w.bytes);
}

/** Decodes a REVEAL; `publicKey` is a view into `bytes`. */
export function decodeReveal(bytes: Uint8Array): DecodeResult<RevealPacket> {
  const prefix = expectPrefix(bytes, PacketType.REVEAL);
  if (!prefix.ok) return prefix;
  const r = new ByteReader(bytes, 2);
  const role = readRole(r);
  const publicKey = r.take('public key', PUBLIC_KEY_LENGTH);
  r.expectEnd('REVEAL');
  if (r.error !== undefined) return { ok: false, error: r.error };
  return ok({ role, publicKey });
}
