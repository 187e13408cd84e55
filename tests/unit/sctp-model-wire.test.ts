import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket, type SctpModelPacket } from '../../src/transport/sctp-model-wire.js';

describe('sctp-model wire format', () => {
  it('round-trips a SACK bundled with DATA chunks, with RFC 4960 chunk sizes', () => {
    const packet: SctpModelPacket = {
      sack: { cumulativeTsn: 41, advertisedWindow: 5 << 20, gapBlocks: [[2, 3], [6, 6]] },
      data: [
        { tsn: 42, ssn: 7, begin: true, end: false, payload: Uint8Array.of(1, 2, 3) },
        { tsn: 43, ssn: 7, begin: false, end: true, payload: new Uint8Array(1160).fill(9) },
      ],
    };
    const bytes = encodePacket(packet);
    // 12 common header + 16+8 SACK + 16+4 DATA (3 bytes padded) + 16+1160 DATA.
    expect(bytes.byteLength).toBe(12 + 24 + 20 + 1176);
    expect(decodePacket(bytes)).toEqual(packet);
  });

  it('rejects truncated, unknown or inconsistent input', () => {
    const bytes = encodePacket({ data: [{ tsn: 1, ssn: 0, begin: true, end: true, payload: new Uint8Array(10) }] });
    expect(decodePacket(bytes.subarray(0, bytes.byteLength - 4))).toBeUndefined();
    expect(decodePacket(new Uint8Array(5))).toBeUndefined();
    const unknown = bytes.slice();
    unknown[12] = 99;
    expect(decodePacket(unknown)).toBeUndefined();
    const badGap = encodePacket({ sack: { cumulativeTsn: 1, advertisedWindow: 0, gapBlocks: [[3, 2]] }, data: [] });
    expect(decodePacket(badGap)).toBeUndefined();
  });
});
