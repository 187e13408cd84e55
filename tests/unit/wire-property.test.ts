// Round-trip properties of the PDU v1 codec (fast-check), and totality: decoders never throw on
// arbitrary bytes.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeControlFrames,
  decodeHello,
  decodePrefix,
  decodeReveal,
  decodeSealedPacket,
  decodeVarint,
  decodeVersionPacket,
  encodeControlFrames,
  encodeHello,
  encodeReveal,
  encodeSealedPacket,
  encodeVarint,
  encodeVersionPacket,
  MAX_PACKET_NUMBER,
  PacketType,
  type ControlFrame,
  type DecodeResult,
  type FragmentFields,
  type PacketRange,
} from '../../src/wire/index.js';

function value<T>(result: DecodeResult<T>): T {
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
  return result.value;
}

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const u30 = fc.integer({ min: 0, max: 2 ** 30 - 1 });
const time = fc.double({ noNaN: true, noDefaultInfinity: true });
const role = fc.constantFrom('initiator' as const, 'responder' as const);
const versions = fc.array(fc.integer({ min: 1, max: 15 }), { minLength: 1, maxLength: 15 });

/** Descending, disjoint ranges separated by at least one packet number. */
const ranges: fc.Arbitrary<PacketRange[]> = fc
  .tuple(
    fc.integer({ min: 0, max: MAX_PACKET_NUMBER }),
    fc.array(fc.tuple(fc.nat(300), fc.nat(300)), { minLength: 1, maxLength: 40 }),
  )
  .map(([top, steps]) => {
    const out: PacketRange[] = [];
    let largest = top;
    for (const [length, gap] of steps) {
      const smallest = Math.max(0, largest - length);
      out.push({ smallest, largest });
      largest = smallest - gap - 2;
      if (largest < 0) break;
    }
    return out;
  });

const frame: fc.Arbitrary<ControlFrame> = fc.oneof(
  fc.record({ type: fc.constant('ack' as const), ackDelay: fc.nat(10 ** 9).map((us) => us / 1000), ranges }),
  fc.record({ type: fc.constant('nack' as const), ranges }),
  fc.record({ type: fc.constant('probe' as const), id: fc.maxSafeNat(), sendTime: time }),
  fc.record({
    type: fc.constant('echo' as const),
    id: fc.maxSafeNat(),
    echoedSendTime: time,
    holdTime: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
  }),
  fc.record({ type: fc.constant('cancel' as const), messageNumbers: fc.array(u30, { minLength: 1, maxLength: 50 }) }),
  fc
    .record({ type: fc.constant('cancel-result' as const), completed: fc.array(u30, { maxLength: 20 }), abandoned: fc.array(u30, { maxLength: 20 }) })
    .filter((f) => f.completed.length + f.abandoned.length > 0),
  fc.record({
    type: fc.constant('close' as const),
    code: u30,
    reason: fc.string({ unit: 'grapheme', maxLength: 60 }),
  }),
  fc.record({ type: fc.constant('finished' as const), verifyData: bytes(32) }),
);

const fragmentFields: fc.Arbitrary<FragmentFields> = fc
  .record({
    messageNumber: u30,
    totalFragments: fc.integer({ min: 1, max: 2 ** 30 - 1 }),
    position: fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
    ordered: fc.boolean(),
    reliable: fc.boolean(),
    orderedSequence: u30,
    deadline: fc.option(fc.integer({ min: 0, max: 2 ** 32 - 1 }), { nil: undefined }),
  })
  .map(({ position, orderedSequence, deadline, ...f }) => ({
    messageNumber: f.messageNumber,
    sequenceNumber: Math.floor(position * f.totalFragments),
    totalFragments: f.totalFragments,
    ordered: f.ordered,
    reliable: f.reliable,
    ...(f.ordered ? { orderedSequence } : {}),
    ...(deadline !== undefined ? { deadline } : {}),
  }));

describe('codec round trips', () => {
  it('varints', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        const encoded = value(encodeVarint(n));
        expect(value(decodeVarint(encoded))).toEqual({ value: n, length: encoded.length });
      }),
    );
  });

  it('HELLO, REVEAL and VERSION', () => {
    fc.assert(
      fc.property(role, versions, fc.boolean(), fc.boolean(), bytes(32), bytes(32), (r, v, psk, fp, random, commitment) => {
        const hello = { role: r, versions: v, psk, fingerprints: fp, random, commitment };
        expect(value(decodeHello(value(encodeHello(hello))))).toEqual(hello);
        const reveal = { role: r, publicKey: random };
        expect(value(decodeReveal(value(encodeReveal(reveal))))).toEqual(reveal);
        const version = { refusedVersion: v[0] ?? 0, supported: v };
        expect(value(decodeVersionPacket(value(encodeVersionPacket(version))))).toEqual(version);
      }),
    );
  });

  it('sealed headers', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.boolean(),
        fc.constantFrom(0 as const, 1 as const),
        fc.integer({ min: 0, max: MAX_PACKET_NUMBER }),
        fragmentFields,
        fc.uint8Array({ minLength: 16, maxLength: 200 }),
        (isData, sharding, keyPhase, packetNumber, fields, body) => {
          const type = isData ? PacketType.DATA : PacketType.CONTROL;
          const header = { type, shardingEnabled: isData && sharding, keyPhase, packetNumber };
          const encoded = value(encodeSealedPacket(header, isData ? fields : undefined, body));
          const decoded = value(decodeSealedPacket(encoded));
          expect(decoded.header).toEqual({ ...header, version: 1, packetNumber: packetNumber % 2 ** 32 });
          expect(decoded.body).toEqual(body);
          if (isData) expect(decoded.fragment).toEqual({ ...fields, data: body.subarray(0, body.length - 16) });
          expect(decodePrefix(encoded).ok).toBe(true);
        },
      ),
    );
  });

  it('control frames', () => {
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 8 }), (frames) => {
        const decoded = value(decodeControlFrames(value(encodeControlFrames(frames))));
        expect(decoded).toEqual(frames);
      }),
    );
  });
});

describe('decoders are total', () => {
  const decoders = [
    decodePrefix,
    decodeHello,
    decodeReveal,
    decodeVersionPacket,
    decodeSealedPacket,
    decodeControlFrames,
    (b: Uint8Array) => decodeVarint(b),
  ];

  it('never throw on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1200 }), (input) => {
        for (const decode of decoders) {
          const result = decode(input);
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) expect(typeof result.error.message).toBe('string');
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never throw on mutations of valid frames', () => {
    fc.assert(
      fc.property(
        fc.array(frame, { minLength: 1, maxLength: 4 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (frames, flips, cut) => {
          const encoded = value(encodeControlFrames(frames)).slice();
          for (const [position, byte] of flips) encoded[position % encoded.length] = byte;
          const result = decodeControlFrames(encoded.subarray(0, 1 + (cut % encoded.length)));
          expect(typeof result.ok).toBe('boolean');
        },
      ),
      { numRuns: 2000 },
    );
  });
});
