/**
 * The range block shared by ACK and NACK, as in RFC 9000 §19.3.1:
 *   largest | [ack delay, ACK only] | extra range count | first range length | (gap | range length)*
 * where a range length is largest - smallest, and a gap is (previous smallest) - (next largest) - 2,
 * so adjacent ranges must be separated by at least one packet number.
 */
import { MAX_PACKET_NUMBER } from './constants.js';
import type { ByteReader } from './reader.js';
import type { PacketRange } from './types.js';
import { varintLength } from './varint.js';
import type { ByteWriter } from './writer.js';

/** Why `ranges` cannot be encoded, or undefined when they can. */
export function checkRanges(ranges: readonly PacketRange[]): string | undefined {
  if (ranges.length === 0) return 'at least one range';
  let floor = MAX_PACKET_NUMBER + 2;
  for (const { smallest, largest } of ranges) {
    if (!Number.isSafeInteger(smallest) || !Number.isSafeInteger(largest)) return 'integer packet numbers';
    if (smallest < 0 || smallest > largest) return 'each range needs 0 <= smallest <= largest';
    if (largest > floor - 2) return 'ranges must descend with a gap of at least one';
    floor = smallest;
  }
  return undefined;
}

/**
 * The block after `largest`: ACK puts its delay field between the two (RFC 9000 order), so
 * `largest` is written and read by the frame itself.
 */
export function rangeTailLength(ranges: readonly PacketRange[]): number {
  const first = ranges[0] as PacketRange;
  let size = varintLength(ranges.length - 1) + varintLength(first.largest - first.smallest);
  for (let i = 1; i < ranges.length; i++) {
    const previous = ranges[i - 1] as PacketRange;
    const range = ranges[i] as PacketRange;
    size += varintLength(previous.smallest - range.largest - 2) + varintLength(range.largest - range.smallest);
  }
  return size;
}

export function writeRangeTail(w: ByteWriter, ranges: readonly PacketRange[]): void {
  const first = ranges[0] as PacketRange;
  w.varint(ranges.length - 1);
  w.varint(first.largest - first.smallest);
  for (let i = 1; i < ranges.length; i++) {
    const previous = ranges[i - 1] as PacketRange;
    const range = ranges[i] as PacketRange;
    w.varint(previous.smallest - range.largest - 2);
    w.varint(range.largest - range.smallest);
  }
}

/**
 * Reads the block after `largest`. The count is checked against the bytes left (each extra
 * range takes at least 2) before anything is allocated.
 */
export function readRangeTail(r: ByteReader, largest: number): PacketRange[] {
  const extra = r.varint('range count', MAX_PACKET_NUMBER);
  const firstLength = r.varint('first range', MAX_PACKET_NUMBER);
  if (r.error !== undefined) return [];
  if (extra * 2 > r.remaining) {
    r.fail('truncated', `range count ${extra} exceeds the bytes left`);
    return [];
  }
  if (firstLength > largest) {
    r.fail('field_range', 'first range below packet number 0');
    return [];
  }
  let smallest = largest - firstLength;
  const ranges: PacketRange[] = [{ smallest, largest }];
  for (let i = 0; i < extra; i++) {
    const gap = r.varint('gap', MAX_PACKET_NUMBER);
    const length = r.varint('range length', MAX_PACKET_NUMBER);
    if (r.error !== undefined) return [];
    const next = smallest - gap - 2;
    if (next < 0 || length > next) {
      r.fail('field_range', 'range below packet number 0');
      return [];
    }
    smallest = next - length;
    ranges.push({ smallest, largest: next });
  }
  return ranges;
}
