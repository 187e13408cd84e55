// Golden vectors for every PDU v1 datagram and control frame (docs/PROTOCOL.md), checked both
// ways, plus one case per decoding error code.
import { describe, expect, it } from 'vitest';
import {
  dataHeaderLength,
  decodeControlFrame,
  decodeControlFrames,
  decodeHello,
  decodePrefix,
  decodeReveal,
  decodeSealedPacket,
  decodeVarint,
  decodeVersionPacket,
  encodeControlFrame,
  encodeControlFrames,
  encodeHello,
  encodeReveal,
  encodeSealedPacket,
  encodeVarint,
  encodeVersionPacket,
  isPduDatagram,
  maxFragmentPayload,
  PacketType,
  reconstructPacketNumber,
  type ControlFrame,
  type DecodeResult,
  type FragmentFields,
} from '../../src/wire/index.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const repeat = (byte: string, n: number): string => byte.repeat(n);

function value<T>(result: DecodeResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

function errorCode<T>(result: DecodeResult<T>): string {
  return result.ok ? 'ok' : result.error.code;
}

describe('varints (RFC 9000 §16, §A.1 examples)', () => {
  it.each([
    ['25', 37],
    ['7bbd', 15293],
    ['9d7f3e7d', 494878333],
    ['c000010000000000', 2 ** 40],
  ])('%s <-> %d', (encoded, n) => {
    expect(value(decodeVarint(hex(encoded)))).toEqual({ value: n, length: encoded.length / 2 });
    expect(toHex(value(encodeVarint(n)))).toBe(encoded);
  });

  it('accepts the non-minimal two-byte 37 on decode', () => {
    expect(value(decodeVarint(hex('4025'))).value).toBe(37);
  });

  it('refuses values that are not exact JavaScript numbers', () => {
    expect(errorCode(decodeVarint(hex('c2197c5eff14e88c')))).toBe('field_range');
    expect(errorCode(encodeVarint(-1))).toBe('field_range');
    expect(errorCode(encodeVarint(1.5))).toBe('field_range');
  });

  it('reports truncation', () => {
    expect(errorCode(decodeVarint(hex('9d7f3e')))).toBe('truncated');
    expect(errorCode(decodeVarint(new Uint8Array(0)))).toBe('truncated');
  });
});

describe('packet number reconstruction (RFC 9000 §A.3, 32-bit window)', () => {
  it.each([
    [-1, 0, 0],
    [0xa82f30ea, 0xa82f9b32, 0xa82f9b32],
    [2 ** 32 - 2, 3, 2 ** 32 + 3],
    [2 ** 32 + 5, 0xfffffff0, 0xfffffff0],
    [3 * 2 ** 32 + 10, 9, 3 * 2 ** 32 + 9],
  ])('largest %d, truncated %d -> %d', (largest, truncated, full) => {
    expect(reconstructPacketNumber(largest, truncated)).toBe(full);
  });
});

describe('handshake datagrams', () => {
  const helloHex = '10 01 00 02 01 01' + repeat('11', 32) + repeat('22', 32);
  const hello = {
    role: 'initiator' as const,
    versions: [1],
    psk: false,
    fingerprints: true,
    random: hex(repeat('11', 32)),
    commitment: hex(repeat('22', 32)),
  };

  it('HELLO', () => {
    expect(toHex(value(encodeHello(hello)))).toBe(helloHex.replace(/\s/g, ''));
    expect(value(decodeHello(hex(helloHex)))).toEqual(hello);
  });

  it('REVEAL', () => {
    const revealHex = '10 02 01' + repeat('33', 32);
    const reveal = { role: 'responder' as const, publicKey: hex(repeat('33', 32)) };
    expect(toHex(value(encodeReveal(reveal)))).toBe(revealHex.replace(/\s/g, ''));
    expect(value(decodeReveal(hex(revealHex)))).toEqual(reveal);
  });

  it('VERSION (version nibble 0, version-invariant)', () => {
    const packet = { refusedVersion: 2, supported: [1] };
    expect(toHex(value(encodeVersionPacket(packet)))).toBe('0005020101');
    expect(value(decodeVersionPacket(hex('0005020101')))).toEqual(packet);
  });

  it('rejects malformed handshake datagrams with typed errors', () => {
    expect(errorCode(decodeHello(hex(helloHex).subarray(0, 69)))).toBe('truncated');
    expect(errorCode(decodeHello(hex(helloHex + '00')))).toBe('trailing_bytes');
    expect(errorCode(decodeHello(hex('10 01 02 00 01 01' + repeat('11', 64))))).toBe('field_range');
    expect(errorCode(decodeHello(hex('10 01 00 04 01 01' + repeat('11', 64))))).toBe('reserved_bits');
    expect(errorCode(decodeHello(hex('10 01 00 00 00' + repeat('11', 64))))).toBe('field_range');
    expect(errorCode(decodeHello(hex('10 01 00 00 01 00' + repeat('11', 64))))).toBe('field_range');
    expect(errorCode(decodeReveal(hex(helloHex)))).toBe('unknown_type');
    expect(errorCode(decodeVersionPacket(hex('000502010100')))).toBe('trailing_bytes');
    expect(errorCode(decodeVersionPacket(hex('0005020100')))).toBe('field_range');
  });
});

describe('version/flags byte and packet type', () => {
  it('decodes the prefix of each packet type', () => {
    expect(value(decodePrefix(hex('1303')))).toEqual({
      version: 1,
      shardingEnabled: true,
      keyPhase: 1,
      type: PacketType.DATA,
    });
    expect(value(decodePrefix(hex('1204'))).keyPhase).toBe(1);
    expect(value(decodePrefix(hex('0005'))).version).toBe(0);
  });

  it('names each violation', () => {
    expect(errorCode(decodePrefix(hex('10')))).toBe('truncated');
    const unknown = decodePrefix(hex('2003'));
    expect(unknown.ok ? undefined : unknown.error).toMatchObject({ code: 'unknown_version', version: 2 });
    expect(errorCode(decodePrefix(hex('1009')))).toBe('unknown_type');
    expect(errorCode(decodePrefix(hex('0001')))).toBe('unknown_type');
    expect(errorCode(decodePrefix(hex('1005')))).toBe('unknown_type');
    expect(errorCode(decodePrefix(hex('1403')))).toBe('reserved_bits');
    expect(errorCode(decodePrefix(hex('1803')))).toBe('reserved_bits');
    expect(errorCode(decodePrefix(hex('1104')))).toBe('reserved_bits');
    expect(errorCode(decodePrefix(hex('1201')))).toBe('reserved_bits');
  });

  it('lets a relay recognise PDU datagrams from two bytes', () => {
    expect(isPduDatagram(hex('1303'))).toBe(true);
    expect(isPduDatagram(hex('1603'))).toBe(false);
    expect(isPduDatagram(hex('4703'))).toBe(false);
  });
});

describe('sealed datagrams (cleartext header + sealed body)', () => {
  const fragment: FragmentFields = {
    messageNumber: 300,
    sequenceNumber: 2,
    totalFragments: 70,
    ordered: true,
    reliable: true,
    orderedSequence: 5,
  };
  const body = hex('aabb' + repeat('cc', 16));
  const dataHex = '13 03 00000005 03 412c 02 4046 05 aabb' + repeat('cc', 16);

  it('DATA', () => {
    const header = { type: PacketType.DATA, shardingEnabled: true, keyPhase: 1 as const, packetNumber: 2 ** 32 + 5 };
    expect(toHex(value(encodeSealedPacket(header, fragment, body)))).toBe(dataHex.replace(/\s/g, ''));
    const decoded = value(decodeSealedPacket(hex(dataHex)));
    expect(decoded.header).toEqual({ version: 1, shardingEnabled: true, keyPhase: 1, type: PacketType.DATA, packetNumber: 5 });
    expect(decoded.headerLength).toBe(13);
    expect(decoded.fragment).toEqual({ ...fragment, data: hex('aabb') });
    expect(decoded.body).toEqual(body);
  });

  it('DATA, unordered and unreliable (no ordered sequence)', () => {
    const f: FragmentFields = { messageNumber: 0, sequenceNumber: 0, totalFragments: 1, ordered: false, reliable: false };
    const header = { type: PacketType.DATA, shardingEnabled: false, keyPhase: 0 as const, packetNumber: 0 };
    const bytes = value(encodeSealedPacket(header, f, hex(repeat('cc', 16))));
    expect(toHex(bytes)).toBe('100300000000' + '00' + '000001' + repeat('cc', 16));
    expect(value(decodeSealedPacket(bytes)).fragment).toEqual({ ...f, data: new Uint8Array(0) });
  });

  it('DATA with A (acknowledge at once): bit 3 of the message flags, per datagram', () => {
    const f: FragmentFields = { messageNumber: 7, sequenceNumber: 2, totalFragments: 3, ordered: false, reliable: true, ackNow: true };
    const header = { type: PacketType.DATA, shardingEnabled: false, keyPhase: 0 as const, packetNumber: 9 };
    const bytes = value(encodeSealedPacket(header, f, hex('ee' + repeat('cc', 16))));
    expect(toHex(bytes)).toBe('100300000009' + '0a' + '070203' + 'ee' + repeat('cc', 16));
    expect(value(decodeSealedPacket(bytes)).fragment).toEqual({ ...f, data: hex('ee') });
    // Clear, the field is absent after decoding (not false), as the other optional fields.
    const plain = value(encodeSealedPacket(header, { ...f, ackNow: false }, hex(repeat('cc', 16))));
    expect(toHex(plain).slice(12, 14)).toBe('02');
    expect('ackNow' in value(decodeSealedPacket(plain)).fragment!).toBe(false);
  });

  it('DATA with C (the second copy of a duplicated resend): bit 4 of the message flags, per datagram', () => {
    const f: FragmentFields = { messageNumber: 7, sequenceNumber: 2, totalFragments: 3, ordered: false, reliable: true, ackNow: true, copy: true };
    const header = { type: PacketType.DATA, shardingEnabled: false, keyPhase: 0 as const, packetNumber: 9 };
    const bytes = value(encodeSealedPacket(header, f, hex('ee' + repeat('cc', 16))));
    expect(toHex(bytes)).toBe('100300000009' + '1a' + '070203' + 'ee' + repeat('cc', 16));
    expect(value(decodeSealedPacket(bytes)).fragment).toEqual({ ...f, data: hex('ee') });
    expect('copy' in value(decodeSealedPacket(value(encodeSealedPacket(header, { ...f, copy: false }, hex(repeat('cc', 16)))))).fragment!).toBe(false);
  });

  it('CONTROL', () => {
    const controlHex = '10 04 deadbeef' + repeat('dd', 16);
    const header = { type: PacketType.CONTROL, shardingEnabled: false, keyPhase: 0 as const, packetNumber: 0xdeadbeef };
    expect(toHex(value(encodeSealedPacket(header, undefined, hex(repeat('dd', 16)))))).toBe(controlHex.replace(/\s/g, ''));
    const decoded = value(decodeSealedPacket(hex(controlHex)));
    expect(decoded.header.packetNumber).toBe(0xdeadbeef);
    expect(decoded.headerLength).toBe(6);
    expect(decoded.fragment).toBeUndefined();
  });

  it('DATA with a deadline: four bytes of session clock after the ordered sequence', () => {
    // Message 7, fragment 1 of 3, unordered, deadline 1000 ms into the sender's session, fragment bytes 'ee'.
    const f: FragmentFields = { messageNumber: 7, sequenceNumber: 1, totalFragments: 3, ordered: false, reliable: false, deadline: 1000 };
    const header = { type: PacketType.DATA, shardingEnabled: false, keyPhase: 0 as const, packetNumber: 9 };
    const bytes = value(encodeSealedPacket(header, f, hex('ee' + repeat('cc', 16))));
    expect(toHex(bytes)).toBe('100300000009' + '04' + '070103' + '000003e8' + 'ee' + repeat('cc', 16));
    expect(dataHeaderLength(f)).toBe(14);
    expect(value(decodeSealedPacket(bytes)).fragment).toEqual({ ...f, data: hex('ee') });
    // Ordered too: ordered sequence first, then the deadline.
    const g: FragmentFields = { ...f, ordered: true, orderedSequence: 2, deadline: 0xffffffff };
    const ordered = value(encodeSealedPacket(header, g, hex(repeat('cc', 16))));
    expect(toHex(ordered)).toBe('100300000009' + '05' + '070103' + '02' + 'ffffffff' + repeat('cc', 16));
    expect(value(decodeSealedPacket(ordered)).fragment).toEqual({ ...g, data: new Uint8Array(0) });
    expect(maxFragmentPayload(1150, true, true)).toBe(maxFragmentPayload(1150, true) - 4);
    expect(errorCode(encodeSealedPacket(header, { ...f, deadline: -1 }, hex(repeat('cc', 16))))).toBe('field_range');
    expect(errorCode(encodeSealedPacket(header, { ...f, deadline: 2 ** 32 }, hex(repeat('cc', 16))))).toBe('field_range');
  });

  it('rejects malformed sealed datagrams', () => {
    expect(errorCode(decodeSealedPacket(hex(dataHex).subarray(0, 28)))).toBe('truncated');
    expect(errorCode(decodeSealedPacket(hex('1003 00000000 20 00 00 01' + repeat('cc', 16))))).toBe('reserved_bits');
    expect(errorCode(decodeSealedPacket(hex('1003 00000000 80 00 00 01' + repeat('cc', 16))))).toBe('reserved_bits');
    // D set but the deadline leaves no room for the tag.
    expect(errorCode(decodeSealedPacket(hex('1003 00000000 04 00 00 01 000003e8' + repeat('cc', 15))))).toBe('truncated');
    expect(errorCode(decodeSealedPacket(hex('1003 00000000 00 00 01 01' + repeat('cc', 16))))).toBe('field_range');
    expect(errorCode(decodeSealedPacket(hex('1003 00000000 00 00 00 00' + repeat('cc', 16))))).toBe('field_range');
    expect(errorCode(decodeSealedPacket(hex('1003 00000000 00 c0000000ffffffff 00 01' + repeat('cc', 16))))).toBe('field_range');
    expect(errorCode(decodeSealedPacket(hex('1004 000000' )))).toBe('truncated');
    expect(errorCode(decodeSealedPacket(hex('1001' + repeat('00', 70))))).toBe('unknown_type');
  });

  it('refuses to encode out-of-range fields', () => {
    const header = { type: PacketType.DATA, shardingEnabled: false, keyPhase: 0 as const, packetNumber: 1 };
    const tag = hex(repeat('cc', 16));
    expect(errorCode(encodeSealedPacket(header, { ...fragment, sequenceNumber: 70 }, tag))).toBe('field_range');
    expect(errorCode(encodeSealedPacket(header, { ...fragment, orderedSequence: undefined }, tag))).toBe('field_range');
    expect(errorCode(encodeSealedPacket(header, { ...fragment, messageNumber: 2 ** 30 }, tag))).toBe('field_range');
    expect(errorCode(encodeSealedPacket(header, undefined, tag))).toBe('field_range');
    expect(errorCode(encodeSealedPacket(header, fragment, tag.subarray(1)))).toBe('truncated');
  });

  it('sizes the largest fragment that always fits', () => {
    expect(maxFragmentPayload(1150, true)).toBe(1150 - 23 - 16);
    expect(maxFragmentPayload(1150, false)).toBe(1150 - 19 - 16);
    expect(maxFragmentPayload(10, true)).toBe(0);
  });
});

describe('control frames', () => {
  const golden: [string, ControlFrame, string][] = [
    [
      'ACK',
      { type: 'ack', ackDelay: 1.5, ranges: [{ smallest: 95, largest: 100 }, { smallest: 80, largest: 90 }] },
      '01 4064 45dc 01 05 03 0a',
    ],
    ['NACK', { type: 'nack', ranges: [{ smallest: 7, largest: 9 }] }, '02 09 00 02'],
    ['PROBE', { type: 'probe', id: 7, sendTime: 1.5 }, '03 07 3ff8000000000000'],
    ['ECHO', { type: 'echo', id: 7, echoedSendTime: 1.5, holdTime: 0.25 }, '04 07 3ff8000000000000 3fd0000000000000'],
    ['CANCEL', { type: 'cancel', messageNumbers: [1, 16384] }, '05 02 01 80004000'],
    ['CLOSE', { type: 'close', code: 0, reason: 'bye' }, '06 00 03 627965'],
    ['FINISHED', { type: 'finished', verifyData: hex(repeat('ee', 32)) }, '07' + repeat('ee', 32)],
    ['CANCEL_RESULT', { type: 'cancel-result', completed: [3], abandoned: [1, 16384] }, '08 01 03 02 01 80004000'],
  ];

  it.each(golden)('%s', (_name, frame, encoded) => {
    expect(toHex(value(encodeControlFrame(frame)))).toBe(encoded.replace(/\s/g, ''));
    expect(value(decodeControlFrame(hex(encoded)))).toEqual(frame);
  });

  it('a body of several frames', () => {
    const frames = golden.map(([, frame]) => frame);
    const body = golden.map(([, , encoded]) => encoded).join('');
    expect(toHex(value(encodeControlFrames(frames)))).toBe(body.replace(/\s/g, ''));
    expect(value(decodeControlFrames(hex(body)))).toEqual(frames);
  });

  it('cuts a long CLOSE reason at a character boundary', () => {
    const frame = value(decodeControlFrame(value(encodeControlFrame({ type: 'close', code: 1, reason: 'é'.repeat(200) }))));
    expect(frame).toEqual({ type: 'close', code: 1, reason: 'é'.repeat(128) });
  });

  it('rejects malformed bodies with typed errors', () => {
    expect(errorCode(decodeControlFrames(new Uint8Array(0)))).toBe('empty');
    expect(errorCode(decodeControlFrames(hex('09')))).toBe('unknown_type');
    expect(errorCode(decodeControlFrames(hex('08 00 00')))).toBe('field_range');
    expect(errorCode(decodeControlFrames(hex('08 01 03')))).toBe('truncated');
    expect(errorCode(decodeControlFrames(hex('08 00 02 01')))).toBe('truncated');
    expect(errorCode(decodeControlFrames(hex('02 05 00 06')))).toBe('field_range');
    expect(errorCode(decodeControlFrames(hex('02 05 01 00 05 00')))).toBe('field_range');
    expect(errorCode(decodeControlFrames(hex('02 05 3f 00')))).toBe('truncated');
    expect(errorCode(decodeControlFrames(hex('03 07 7ff0000000000000')))).toBe('field_range');
    expect(errorCode(decodeControlFrames(hex('04 07 3ff8000000000000 bff0000000000000')))).toBe('field_range');
    expect(errorCode(decodeControlFrames(hex('05 00')))).toBe('field_range');
    expect(errorCode(decodeControlFrames(hex('05 09 01')))).toBe('truncated');
    expect(errorCode(decodeControlFrames(hex('06 00 02 ff fe')))).toBe('invalid_utf8');
    expect(errorCode(decodeControlFrames(hex('06 00 4101 00')))).toBe('field_range');
    expect(errorCode(decodeControlFrames(hex('07' + repeat('ee', 31))))).toBe('truncated');
    expect(errorCode(decodeControlFrame(hex('02 09 00 02 02 09 00 02')))).toBe('trailing_bytes');
  });

  it('refuses to encode invalid frames', () => {
    expect(errorCode(encodeControlFrames([]))).toBe('empty');
    expect(errorCode(encodeControlFrame({ type: 'ack', ackDelay: 0, ranges: [] }))).toBe('field_range');
    expect(
      errorCode(encodeControlFrame({ type: 'nack', ranges: [{ smallest: 1, largest: 5 }, { smallest: 0, largest: 4 }] })),
    ).toBe('field_range');
    expect(errorCode(encodeControlFrame({ type: 'ack', ackDelay: -1, ranges: [{ smallest: 0, largest: 0 }] }))).toBe(
      'field_range',
    );
    expect(errorCode(encodeControlFrame({ type: 'probe', id: 1, sendTime: Number.NaN }))).toBe('field_range');
    expect(errorCode(encodeControlFrame({ type: 'cancel', messageNumbers: [] }))).toBe('field_range');
    expect(errorCode(encodeControlFrame({ type: 'cancel-result', completed: [], abandoned: [] }))).toBe('field_range');
    expect(errorCode(encodeControlFrame({ type: 'cancel-result', completed: [2 ** 30], abandoned: [] }))).toBe('field_range');
    expect(errorCode(encodeControlFrame({ type: 'finished', verifyData: new Uint8Array(31) }))).toBe('field_range');
  });
});
