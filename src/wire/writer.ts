/**
 * Writes a layout whose exact size was computed beforehand, so every encoder allocates once
 * (or writes straight into the caller's datagram buffer).
 */
import { writeVarint } from './varint.js';

export class ByteWriter {
  offset = 0;
  readonly bytes: Uint8Array;

  constructor(target: number | Uint8Array) {
    this.bytes = typeof target === 'number' ? new Uint8Array(target) : target;
  }

  u8(value: number): void {
    this.bytes[this.offset++] = value;
  }

  u32(value: number): void {
    const b = this.bytes;
    const o = this.offset;
    b[o] = value >>> 24;
    b[o + 1] = (value >>> 16) & 0xff;
    b[o + 2] = (value >>> 8) & 0xff;
    b[o + 3] = value & 0xff;
    this.offset += 4;
  }

  varint(value: number): void {
    this.offset = writeVarint(this.bytes, this.offset, value);
  }

  f64(value: number): void {
    new DataView(this.bytes.buffer, this.bytes.byteOffset + this.offset, 8).setFloat64(0, value);
    this.offset += 8;
  }

  put(bytes: Uint8Array): void {
    this.bytes.set(bytes, this.offset);
    this.offset += bytes.length;
  }
}
