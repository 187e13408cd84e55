/**
 * Byte format of the sctp-model baseline: the RFC 4960 common header, DATA and SACK chunk
 * layouts (same sizes, so the wire overhead matches a real association before DTLS/UDP/IP),
 * without checksums or verification tags. TSNs stay below 2^32 in any simulated run, so
 * serial-number arithmetic is not needed.
 */
export const COMMON_HEADER_BYTES = 12;
export const DATA_CHUNK_HEADER_BYTES = 16;
export const SACK_CHUNK_HEADER_BYTES = 16;
const GAP_BLOCK_BYTES = 4;
const CHUNK_DATA = 0;
const CHUNK_SACK = 3;
const FLAG_END = 0x01;
const FLAG_BEGIN = 0x02;

export interface DataChunk {
  tsn: number;
  /** Stream sequence number of the message (mod 2^16). */
  ssn: number;
  begin: boolean;
  end: boolean;
  payload: Uint8Array;
}

export interface SackChunk {
  cumulativeTsn: number;
  advertisedWindow: number;
  /** Received TSN ranges above the cumulative TSN, as inclusive offsets from it (RFC 4960 §3.3.4). */
  gapBlocks: Array<readonly [start: number, end: number]>;
}

export interface SctpModelPacket {
  sack?: SackChunk | undefined;
  data: DataChunk[];
}

export function dataChunkBytes(payloadBytes: number): number {
  return DATA_CHUNK_HEADER_BYTES + pad4(payloadBytes);
}

export function sackChunkBytes(gapBlocks: number): number {
  return SACK_CHUNK_HEADER_BYTES + GAP_BLOCK_BYTES * gapBlocks;
}

export function encodePacket(packet: SctpModelPacket): Uint8Array {
  let size = COMMON_HEADER_BYTES;
  if (packet.sack) size += sackChunkBytes(packet.sack.gapBlocks.length);
  for (const chunk of packet.data) size += dataChunkBytes(chunk.payload.byteLength);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let at = COMMON_HEADER_BYTES;
  if (packet.sack) {
    const { cumulativeTsn, advertisedWindow, gapBlocks } = packet.sack;
    view.setUint8(at, CHUNK_SACK);
    view.setUint16(at + 2, sackChunkBytes(gapBlocks.length));
    view.setUint32(at + 4, cumulativeTsn);
    view.setUint32(at + 8, advertisedWindow);
    view.setUint16(at + 12, gapBlocks.length);
    view.setUint16(at + 14, 0); // duplicate TSNs are not reported
    at += SACK_CHUNK_HEADER_BYTES;
    for (const [start, end] of gapBlocks) {
      view.setUint16(at, start);
      view.setUint16(at + 2, end);
      at += GAP_BLOCK_BYTES;
    }
  }
  for (const chunk of packet.data) {
    view.setUint8(at, CHUNK_DATA);
    view.setUint8(at + 1, (chunk.begin ? FLAG_BEGIN : 0) | (chunk.end ? FLAG_END : 0));
    view.setUint16(at + 2, DATA_CHUNK_HEADER_BYTES + chunk.payload.byteLength);
    view.setUint32(at + 4, chunk.tsn);
    view.setUint16(at + 8, 0); // stream 0: the model carries one channel
    view.setUint16(at + 10, chunk.ssn & 0xffff);
    view.setUint32(at + 12, 51); // PPID 51: WebRTC binary
    out.set(chunk.payload, at + DATA_CHUNK_HEADER_BYTES);
    at += dataChunkBytes(chunk.payload.byteLength);
  }
  return out;
}

/** Decodes a packet; undefined for anything malformed (peer input never throws). */
export function decodePacket(bytes: Uint8Array): SctpModelPacket | undefined {
  if (bytes.byteLength < COMMON_HEADER_BYTES) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const packet: SctpModelPacket = { data: [] };
  let at = COMMON_HEADER_BYTES;
  while (at < bytes.byteLength) {
    if (at + 4 > bytes.byteLength) return undefined;
    const type = view.getUint8(at);
    const length = view.getUint16(at + 2);
    if (at + length > bytes.byteLength) return undefined;
    if (type === CHUNK_DATA) {
      if (length < DATA_CHUNK_HEADER_BYTES) return undefined;
      const flags = view.getUint8(at + 1);
      packet.data.push({
        tsn: view.getUint32(at + 4),
        ssn: view.getUint16(at + 10),
        begin: (flags & FLAG_BEGIN) !== 0,
        end: (flags & FLAG_END) !== 0,
        payload: bytes.slice(at + DATA_CHUNK_HEADER_BYTES, at + length),
      });
    } else if (type === CHUNK_SACK) {
      if (length < SACK_CHUNK_HEADER_BYTES || packet.sack) return undefined;
      const blocks = view.getUint16(at + 12);
      if (length !== sackChunkBytes(blocks)) return undefined;
      const gapBlocks: Array<readonly [number, number]> = [];
      for (let i = 0; i < blocks; i++) {
        const start = view.getUint16(at + SACK_CHUNK_HEADER_BYTES + GAP_BLOCK_BYTES * i);
        const end = view.getUint16(at + SACK_CHUNK_HEADER_BYTES + GAP_BLOCK_BYTES * i + 2);
        if (start === 0 || end < start) return undefined;
        gapBlocks.push([start, end]);
      }
      packet.sack = { cumulativeTsn: view.getUint32(at + 4), advertisedWindow: view.getUint32(at + 8), gapBlocks };
    } else {
      return undefined;
    }
    at += pad4(length);
  }
  return packet;
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}
