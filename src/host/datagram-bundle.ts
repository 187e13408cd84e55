/**
 * Bundles: several PDU datagrams in one data-channel message (docs/PROTOCOL.md, section 13).
 *
 * Every data-channel message costs the browser a fixed amount of work whatever its size: a
 * blocking hop to the WebRTC network thread on `send`, an SCTP message, a task and a MessageEvent
 * on the receiving thread. At 1150 bytes a message that fixed cost dominated PDU's throughput in
 * Chromium (bench:browser). A bundle carries many datagrams for one such cost. It is framing
 * below the engine, not a sealed packet: each datagram inside is sealed and authenticated on its
 * own, and the engine never sees the bundle.
 *
 *   u8  0x10        version 1, no flags
 *   u8  0x06        type BUNDLE
 *   then, one or more times:
 *     u16 length    of the next datagram, 2 .. 65535
 *     ... datagram  one whole PDU datagram (never itself a bundle)
 *
 * A bundle is lost whole when any SCTP packet of it is, so the driver only bundles while the path
 * shows no loss, and only towards a peer that has sent a bundle itself (an older peer drops a
 * bundle as a malformed datagram of unknown type).
 */

import { PacketType } from '../wire/constants.js';

const VERSION_BYTE = 0x10;
export const BUNDLE_TYPE = PacketType.BUNDLE;
/** Bytes before the first entry. */
export const BUNDLE_HEADER_BYTES = 2;
/** Bytes before each datagram in a bundle. */
export const BUNDLE_ENTRY_OVERHEAD = 2;
/** The largest datagram a bundle can carry (its length is a u16). */
export const MAX_BUNDLED_DATAGRAM = 0xffff;

export function isBundle(bytes: Uint8Array): boolean {
  return bytes.length >= BUNDLE_HEADER_BYTES && bytes[0] === VERSION_BYTE && bytes[1] === BUNDLE_TYPE;
}

/** Bytes a bundle of these datagrams takes. */
export function bundleSize(datagrams: readonly Uint8Array[]): number {
  let size = BUNDLE_HEADER_BYTES;
  for (const d of datagrams) size += BUNDLE_ENTRY_OVERHEAD + d.length;
  return size;
}

/** Packs datagrams (each 2 .. 65535 bytes) into one bundle. */
export function encodeBundle(datagrams: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(bundleSize(datagrams));
  out[0] = VERSION_BYTE;
  out[1] = BUNDLE_TYPE;
  let offset = BUNDLE_HEADER_BYTES;
  for (const d of datagrams) {
    if (d.length < 2 || d.length > MAX_BUNDLED_DATAGRAM) throw new RangeError(`bundle entry of ${d.length} bytes`);
    out[offset] = d.length >>> 8;
    out[offset + 1] = d.length & 0xff;
    out.set(d, offset + BUNDLE_ENTRY_OVERHEAD);
    offset += BUNDLE_ENTRY_OVERHEAD + d.length;
  }
  return out;
}

/**
 * Hands each datagram of a bundle to `onDatagram` (views into `bundle`, no copies) and returns
 * how many. Parsing is total: a truncated entry, a length below 2 or trailing bytes end the
 * bundle there, and a nested bundle is skipped; what came before still counts. Returns -1 when
 * nothing valid was found.
 */
export function splitBundle(bundle: Uint8Array, onDatagram: (datagram: Uint8Array) => void): number {
  let count = 0;
  let offset = BUNDLE_HEADER_BYTES;
  while (offset + BUNDLE_ENTRY_OVERHEAD <= bundle.length) {
    const length = (bundle[offset]! << 8) | bundle[offset + 1]!;
    const start = offset + BUNDLE_ENTRY_OVERHEAD;
    if (length < 2 || start + length > bundle.length) break;
    const datagram = bundle.subarray(start, start + length);
    offset = start + length;
    if (isBundle(datagram)) continue;
    count++;
    onDatagram(datagram);
  }
  return count > 0 ? count : -1;
}
