/**
 * Packet numbers ride truncated to their low 32 bits; the receiver restores the full number as
 * the one closest to (largest authenticated + 1), the algorithm of RFC 9000 §A.3 with a fixed
 * 32-bit window. A packet delayed by more than 2^31 newer packets would decode wrongly, then
 * fail authentication (the nonce differs) and be dropped.
 */
import { PACKET_NUMBER_LENGTH } from './constants.js';

const WINDOW = 2 ** (8 * PACKET_NUMBER_LENGTH);
const HALF_WINDOW = WINDOW / 2;

/** Low 32 bits of a packet number, as written on the wire. */
export function truncatePacketNumber(packetNumber: number): number {
  return packetNumber % WINDOW;
}

/**
 * Full packet number for `truncated`, given the largest packet number authenticated so far in
 * this direction (-1 before the first).
 */
export function reconstructPacketNumber(largest: number, truncated: number): number {
  const expected = largest + 1;
  const candidate = expected - (expected % WINDOW) + truncated;
  if (candidate <= expected - HALF_WINDOW) return candidate + WINDOW;
  if (candidate > expected + HALF_WINDOW && candidate >= WINDOW) return candidate - WINDOW;
  return candidate;
}
