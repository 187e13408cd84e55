/**
 * A bounds-checked cursor over one datagram. Reads never throw: the first failure is recorded in
 * `error`, the cursor jumps to the end, and every later read returns 0 or an empty view, so a
 * decoder can read a whole layout and check `error` once. Byte runs are views, never copies, so
 * decoding allocates nothing in proportion to attacker-chosen lengths.
 */
import type { WireError, WireErrorCode } from './errors.js';

export class ByteReader {
  offset: number;
  error: WireError | undefined;
  readonly bytes: Uint8Array;
  readonly end: number;

  constructor(bytes: Uint8Array, offset = 0, end = bytes.length) {
    this.bytes = bytes;
    this.offset = offset;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Records the first error and stops reading. */
  fail(code: WireErrorCode, message: string): void {
    if (this.error === undefined) this.error = { code, message };
    this.offset = this.end;
  }

  u8(field: string): number {
    if (this.offset + 1 > this.end) {
      this.fail('truncated', `${field}: missing`);
      return 0;
    }
    return this.bytes[this.offset++] as number;
  }

  u32(field: string): number {
    if (this.offset + 4 > this.end) {
      this.fail('truncated', `${field}: needs 4 bytes`);
      return 0;
    }
    const b = this.bytes;
    const o = this.offset;
    this.offset += 4;
    return (
      ((b[o] as number) * 0x1000000 +
        (((b[o + 1] as number) << 16) | ((b[o + 2] as number) << 8) | (b[o + 3] as number))) >>>
      0
    );
  }

  /**
   * A QUIC varint no larger than `max`, else `field_range`. 8-byte values must stay below 2^53
   * so they remain exact numbers.
   */
  varint(field: string, max: number): number {
    const b = this.bytes;
    const o = this.offset;
    if (o >= this.end) {
      this.fail('truncated', `${field}: missing`);
      return 0;
    }
    const first = b[o] as number;
    const length = 1 << (first >>> 6);
    if (o + length > this.end) {
      this.fail('truncated', `${field}: needs ${length} bytes`);
      return 0;
    }
    let value = first & 0x3f;
    for (let i = 1; i < length; i++) {
      if (i === 4 && value >= 2 ** 21) {
        this.fail('field_range', `${field}: above 2^53 - 1`);
        return 0;
      }
      value = value * 256 + (b[o + i] as number);
    }
    if (value > max) {
      this.fail('field_range', `${field}: ${value} above ${max}`);
      return 0;
    }
    this.offset = o + length;
    return value;
  }

  /** An IEEE 754 double, big-endian; only finite values are valid. */
  f64(field: string): number {
    if (this.offset + 8 > this.end) {
      this.fail('truncated', `${field}: needs 8 bytes`);
      return 0;
    }
    const view = new DataView(this.bytes.buffer, this.bytes.byteOffset + this.offset, 8);
    const value = view.getFloat64(0);
    this.offset += 8;
    if (!Number.isFinite(value)) {
      this.fail('field_range', `${field}: not finite`);
      return 0;
    }
    return value;
  }

  /** A view of the next `length` bytes. */
  take(field: string, length: number): Uint8Array {
    if (length > this.remaining) {
      this.fail('truncated', `${field}: needs ${length} bytes, ${this.remaining} left`);
      return this.bytes.subarray(this.end, this.end);
    }
    const view = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return view;
  }

  /** Everything left. */
  rest(): Uint8Array {
    const view = this.bytes.subarray(this.offset, this.end);
    this.offset = this.end;
    return view;
  }

  /** Fails with `trailing_bytes` unless the layout consumed the whole input. */
  expectEnd(what: string): void {
    if (this.error === undefined && this.offset !== this.end) {
      this.fail('trailing_bytes', `${what}: ${this.end - this.offset} bytes after the end`);
    }
  }
}
