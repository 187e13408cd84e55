/**
 * QUIC variable-length integers (RFC 9000 §16): the two high bits of the first byte give the
 * length (1, 2, 4 or 8 bytes), the rest is the value, big-endian. Values are JavaScript numbers,
 * so decoders refuse 8-byte values above 2^53 - 1 (`field_range`) instead of rounding them.
 */
import { fail, ok, type DecodeResult } from './errors.js';
import { MAX_VARINT } from './constants.js';
import { ByteReader } from './reader.js';

/** Bytes needed to encode `value` (the shortest encoding; PDU always writes the shortest). */
export function varintLength(value: number): 1 | 2 | 4 | 8 {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

/** True when `value` is a non-negative safe integer a varint can carry. */
export function isVarint(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0 && value <= MAX_VARINT;
}

/**
 * Writes `value` at `offset` and returns the offset after it. The caller guarantees room and a
 * valid value (see `isVarint`); encoders check both before writing.
 */
export function writeVarint(buffer: Uint8Array, offset: number, value: number): number {
  const length = varintLength(value);
  if (length === 1) {
    buffer[offset] = value;
  } else if (length === 2) {
    buffer[offset] = 0x40 | (value >>> 8);
    buffer[offset + 1] = value & 0xff;
  } else if (length === 4) {
    buffer[offset] = 0x80 | (value >>> 24);
    buffer[offset + 1] = (value >>> 16) & 0xff;
    buffer[offset + 2] = (value >>> 8) & 0xff;
    buffer[offset + 3] = value & 0xff;
  } else {
    const high = Math.floor(value / 2 ** 32);
    const low = value >>> 0;
    buffer[offset] = 0xc0 | (high >>> 24);
    buffer[offset + 1] = (high >>> 16) & 0xff;
    buffer[offset + 2] = (high >>> 8) & 0xff;
    buffer[offset + 3] = high & 0xff;
    buffer[offset + 4] = low >>> 24;
    buffer[offset + 5] = (low >>> 16) & 0xff;
    buffer[offset + 6] = (low >>> 8) & 0xff;
    buffer[offset + 7] = low & 0xff;
  }
  return offset + length;
}

/** Encodes one varint on its own; `field_range` when `value` is not a varint. */
export function encodeVarint(value: number): DecodeResult<Uint8Array> {
  if (!isVarint(value)) return fail('field_range', `not a varint: ${value}`);
  const out = new Uint8Array(varintLength(value));
  writeVarint(out, 0, value);
  return ok(out);
}

/** Decodes the varint at `offset`: its value and its length in bytes. */
export function decodeVarint(
  bytes: Uint8Array,
  offset = 0,
): DecodeResult<{ value: number; length: number }> {
  const reader = new ByteReader(bytes, offset);
  const value = reader.varint('varint', MAX_VARINT);
  if (reader.error !== undefined) return { ok: false, error: reader.error };
  return ok({ value, length: reader.offset - offset });
}
