/**
 * Cleartext headers of sealed datagrams (DATA and CONTROL). The header is the AEAD's additional
 * data: a relay can read it (version, S flag, fragment position) but cannot change it.
 *
 *   DATA:    vf | type | pn32 | msgflags | msgno | seq | total | [ordseq] | [deadline32] | ciphertext | tag16
 *   CONTROL: vf | type | pn32 | ciphertext (control frames) | tag16
 */
import {
  MAX_MESSAGE_NUMBER,
  MAX_ORDERED_SEQUENCE,
  MAX_TOTAL_FRAGMENTS,
  MESSAGE_FLAG_ACK_NOW,
  MESSAGE_FLAG_COPY,
  MESSAGE_FLAG_DEADLINE,
  MESSAGE_FLAG_ORDERED,
  MESSAGE_FLAG_RELIABLE,
  MESSAGE_FLAGS_RESERVED,
  PacketType,
  PROTOCOL_VERSION,
  SEALED_PREFIX_LENGTH,
  TAG_LENGTH,
} from './constants.js';
import type { DecodeResult } from './errors.js';
import { fail, ok } from './errors.js';
import { truncatePacketNumber } from './packet-number.js';
import { decodePrefix, versionFlagsByte, type PacketPrefix } from './prefix.js';
import { ByteReader } from './reader.js';
import type { PacketHeader, WireFragment } from './types.js';
import { varintLength } from './varint.js';
import { ByteWriter } from './writer.js';

/** Fields of a DATA fragment header, without the fragment bytes. */
export type FragmentFields = Omit<WireFragment, 'data'>;

/** Header fields a sender chooses; `packetNumber` is the full number (its low 32 bits are written). */
export interface SealedHeaderFields {
  type: typeof PacketType.DATA | typeof PacketType.CONTROL;
  shardingEnabled: boolean;
  keyPhase: 0 | 1;
  packetNumber: number;
}

/** A sealed datagram split into its cleartext header and its sealed body. */
export interface SealedPacket {
  /** `packetNumber` here is the truncated 32-bit value. */
  header: PacketHeader;
  /** Bytes of cleartext header: the AEAD additional data is `bytes.subarray(0, headerLength)`. */
  headerLength: number;
  /** DATA only: the fragment header, `data` being the ciphertext (tag excluded). */
  fragment?: WireFragment;
  /** Ciphertext followed by the 16-byte tag (a view). */
  body: Uint8Array;
}

/** `field_range` message when fragment fields are out of range, else undefined. */
export function checkFragmentFields(f: FragmentFields): string | undefined {
  const isInt = Number.isInteger;
  if (!isInt(f.messageNumber) || f.messageNumber < 0 || f.messageNumber > MAX_MESSAGE_NUMBER) {
    return 'messageNumber outside 0..2^30-1';
  }
  if (!isInt(f.totalFragments) || f.totalFragments < 1 || f.totalFragments > MAX_TOTAL_FRAGMENTS) {
    return 'totalFragments outside 1..2^30-1';
  }
  if (!isInt(f.sequenceNumber) || f.sequenceNumber < 0 || f.sequenceNumber >= f.totalFragments) {
    return 'sequenceNumber outside 0..totalFragments-1';
  }
  if (f.ordered !== (f.orderedSequence !== undefined)) {
    return 'orderedSequence must be present exactly when ordered';
  }
  const seq = f.orderedSequence;
  if (seq !== undefined && (!isInt(seq) || seq < 0 || seq > MAX_ORDERED_SEQUENCE)) {
    return 'orderedSequence outside 0..2^30-1';
  }
  const deadline = f.deadline;
  if (deadline !== undefined && (!isInt(deadline) || deadline < 0 || deadline > 0xffffffff)) {
    return 'deadline outside 0..2^32-1';
  }
  return undefined;
}

/** Bytes of the DATA header (prefix + packet number + fragment header) for these fields. */
export function dataHeaderLength(f: FragmentFields): number {
  return (
    SEALED_PREFIX_LENGTH +
    1 +
    varintLength(f.messageNumber) +
    varintLength(f.sequenceNumber) +
    varintLength(f.totalFragments) +
    (f.orderedSequence === undefined ? 0 : varintLength(f.orderedSequence)) +
    (f.deadline === undefined ? 0 : 4)
  );
}

/** Largest DATA header: every fragment field at its 4-byte varint bound. */
export function maxDataHeaderLength(ordered: boolean, deadline = false): number {
  return SEALED_PREFIX_LENGTH + 1 + 4 + 4 + 4 + (ordered ? 4 : 0) + (deadline ? 4 : 0);
}

function validHeaderFields(h: SealedHeaderFields): boolean {
  return Number.isSafeInteger(h.packetNumber) && h.packetNumber >= 0 && (h.keyPhase === 0 || h.keyPhase === 1);
}

/**
 * Writes the cleartext header into `buffer` (sized by the caller) and returns its length.
 * Fields must have passed `checkFragmentFields`.
 */
export function writeSealedHeader(
  buffer: Uint8Array,
  h: SealedHeaderFields,
  f: FragmentFields | undefined,
): number {
  const w = new ByteWriter(buffer);
  w.u8(versionFlagsByte(PROTOCOL_VERSION, h.type === PacketType.DATA && h.shardingEnabled, h.keyPhase));
  w.u8(h.type);
  w.u32(truncatePacketNumber(h.packetNumber));
  if (f !== undefined) {
    const deadline = f.deadline !== undefined ? MESSAGE_FLAG_DEADLINE : 0;
    const ackNow = f.ackNow === true ? MESSAGE_FLAG_ACK_NOW : 0;
    const copy = f.copy === true ? MESSAGE_FLAG_COPY : 0;
    w.u8((f.ordered ? MESSAGE_FLAG_ORDERED : 0) | (f.reliable ? MESSAGE_FLAG_RELIABLE : 0) | deadline | ackNow | copy);
    w.varint(f.messageNumber);
    w.varint(f.sequenceNumber);
    w.varint(f.totalFragments);
    if (f.orderedSequence !== undefined) w.varint(f.orderedSequence);
    if (f.deadline !== undefined) w.u32(f.deadline);
  }
  return w.offset;
}

/**
 * Assembles a sealed datagram from its header fields and an already sealed body
 * (ciphertext || tag). The session seals in place instead; this is the codec's reference form.
 */
export function encodeSealedPacket(
  h: SealedHeaderFields,
  fragment: FragmentFields | undefined,
  body: Uint8Array,
): DecodeResult<Uint8Array> {
  if (!validHeaderFields(h)) return fail('field_range', 'packetNumber or keyPhase');
  if ((h.type === PacketType.DATA) !== (fragment !== undefined)) {
    return fail('field_range', 'DATA needs a fragment header, CONTROL has none');
  }
  if (h.type === PacketType.CONTROL && h.shardingEnabled) return fail('reserved_bits', 'S flag outside DATA');
  if (fragment !== undefined) {
    const problem = checkFragmentFields(fragment);
    if (problem !== undefined) return fail('field_range', problem);
  }
  if (body.length < TAG_LENGTH) return fail('truncated', 'sealed body shorter than the tag');
  const headerLength = fragment === undefined ? SEALED_PREFIX_LENGTH : dataHeaderLength(fragment);
  const out = new Uint8Array(headerLength + body.length);
  writeSealedHeader(out, h, fragment);
  out.set(body, headerLength);
  return ok(out);
}

/**
 * Splits a DATA or CONTROL datagram into header and sealed body; views only, no copies.
 * `prefix` is `decodePrefix(bytes)`, for a caller that has already decoded it.
 */
export function decodeSealedPacket(
  bytes: Uint8Array,
  prefix: DecodeResult<PacketPrefix> = decodePrefix(bytes),
): DecodeResult<SealedPacket> {
  if (!prefix.ok) return prefix;
  const { type } = prefix.value;
  if (type !== PacketType.DATA && type !== PacketType.CONTROL) {
    return fail('unknown_type', 'expected DATA or CONTROL');
  }
  const r = new ByteReader(bytes, 2);
  const packetNumber = r.u32('packet number');
  let fragment: WireFragment | undefined;
  if (type === PacketType.DATA) {
    const flags = r.u8('message flags');
    if ((flags & MESSAGE_FLAGS_RESERVED) !== 0) r.fail('reserved_bits', 'message flags');
    const ordered = (flags & MESSAGE_FLAG_ORDERED) !== 0;
    const messageNumber = r.varint('messageNumber', MAX_MESSAGE_NUMBER);
    const sequenceNumber = r.varint('sequenceNumber', MAX_TOTAL_FRAGMENTS - 1);
    const totalFragments = r.varint('totalFragments', MAX_TOTAL_FRAGMENTS);
    const orderedSequence = ordered ? r.varint('orderedSequence', MAX_ORDERED_SEQUENCE) : undefined;
    const deadline = (flags & MESSAGE_FLAG_DEADLINE) !== 0 ? r.u32('deadline') : undefined;
    if (r.error === undefined && (totalFragments < 1 || sequenceNumber >= totalFragments)) {
      r.fail('field_range', 'sequenceNumber outside 0..totalFragments-1');
    }
    fragment = {
      messageNumber,
      sequenceNumber,
      totalFragments,
      ordered,
      reliable: (flags & MESSAGE_FLAG_RELIABLE) !== 0,
      // The header ends here; on any error the packet is refused below and this view goes unused.
      data: bytes.subarray(r.offset, bytes.length - TAG_LENGTH),
    };
    if (orderedSequence !== undefined) fragment.orderedSequence = orderedSequence;
    if (deadline !== undefined) fragment.deadline = deadline;
    if ((flags & MESSAGE_FLAG_ACK_NOW) !== 0) fragment.ackNow = true;
    if ((flags & MESSAGE_FLAG_COPY) !== 0) fragment.copy = true;
  }
  if (r.error === undefined && r.remaining < TAG_LENGTH) r.fail('truncated', 'no room for the tag');
  if (r.error !== undefined) return { ok: false, error: r.error };
  const headerLength = r.offset;
  const header: PacketHeader = {
    version: prefix.value.version,
    shardingEnabled: prefix.value.shardingEnabled,
    keyPhase: prefix.value.keyPhase,
    type,
    packetNumber,
  };
  const packet: SealedPacket = { header, headerLength, body: bytes.subarray(headerLength) };
  if (fragment !== undefined) packet.fragment = fragment;
  return ok(packet);
}

/**
 * Fragment bytes that always fit in one DATA datagram of `maxDatagramSize` bytes, whatever the
 * fragment-header values (each at its 4-byte varint bound). Never negative.
 */
export function maxFragmentPayload(maxDatagramSize: number, ordered: boolean, deadline = false): number {
  return Math.max(0, Math.floor(maxDatagramSize) - maxDataHeaderLength(ordered, deadline) - TAG_LENGTH);
}
