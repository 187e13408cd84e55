/**
 * VERSION, the version-invariant datagram (version nibble 0) that answers a datagram whose
 * version the receiver does not speak. Its layout never changes, so a peer of any version can
 * read which versions to fall back to.
 */
import { PacketType, VERSION_NEGOTIATION } from './constants.js';
import type { DecodeResult } from './errors.js';
import { fail, ok } from './errors.js';
import { MAX_LISTED_VERSIONS, validVersionList } from './handshake.js';
import { decodePrefix, versionFlagsByte } from './prefix.js';
import { ByteReader } from './reader.js';
import type { VersionPacket } from './types.js';
import { ByteWriter } from './writer.js';

export function encodeVersionPacket(packet: VersionPacket): DecodeResult<Uint8Array> {
  const refused = packet.refusedVersion;
  if (!Number.isInteger(refused) || refused < 0 || refused > 15) {
    return fail('field_range', 'refused version: a nibble');
  }
  if (!validVersionList(packet.supported)) return fail('field_range', 'supported: 1..15 entries of 1..15');
  const w = new ByteWriter(4 + packet.supported.length);
  w.u8(versionFlagsByte(VERSION_NEGOTIATION, false, 0));
  w.u8(PacketType.VERSION);
  w.u8(refused);
  w.u8(packet.supported.length);
  for (const v of packet.supported) w.u8(v);
  return ok(w.bytes);
}

export function decodeVersionPacket(bytes: Uint8Array): DecodeResult<VersionPacket> {
  const prefix = decodePrefix(bytes);
  if (!prefix.ok) return prefix;
  if (prefix.value.type !== PacketType.VERSION) return fail('unknown_type', 'expected VERSION');
  const r = new ByteReader(bytes, 2);
  const refusedVersion = r.u8('refused version');
  if (refusedVersion > 15) r.fail('field_range', 'refused version: a nibble');
  const count = r.u8('version count');
  if (count < 1 || count > MAX_LISTED_VERSIONS) r.fail('field_range', `version count ${count}`);
  const supported = Array.from(r.take('versions', count));
  if (r.error === undefined && !validVersionList(supported)) r.fail('field_range', 'version outside 1..15');
  r.expectEnd('VERSION');
  if (r.error !== undefined) return { ok: false, error: r.error };
  return ok({ refusedVersion, supported });
}
