// PDU's session security layer: wire overhead, seal+open throughput beside raw @noble/ciphers and
// node:crypto, and a fuzzer for the decoders and the session.
//
//   npx tsx bench/crypto.ts              figures; the last stdout line is JSON
//   npx tsx bench/crypto.ts --fuzz N     N random and mutated datagrams into every decoder and
//                                        the session (the CI test runs 100,000)
//
// MB/s is 10^6 bytes of application payload per second. "seal+open" counts the payload once per
// round trip (seal a 1150-byte datagram, then open it). Each figure is the median of rounds.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { SecureSession } from '../src/crypto/index.js';
import {
  dataHeaderLength,
  decodeControlFrames,
  decodeHello,
  decodePrefix,
  decodeReveal,
  decodeSealedPacket,
  decodeVersionPacket,
  encodeControlFrames,
  encodeVersionPacket,
  TAG_LENGTH,
  type ControlFrame,
  type FragmentHeader,
} from '../src/wire/index.js';
import { establishedPair } from '../tests/support/sessions.js';
import { median } from './stats.js';

const DATAGRAM = 1150;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 300);

/** A fragment of a ~1 MiB ordered message: every varint takes 2 bytes, as for most traffic. */
const TYPICAL: Omit<FragmentHeader, 'uuid' | 'data'> = {
  messageNumber: 1000,
  sequenceNumber: 500,
  totalFragments: 950,
  ordered: true,
  reliable: true,
  orderedSequence: 900,
};

/** MB/s of one ROUND_MS run of `step`, which moves `bytes` of payload per call. */
function round(bytes: number, step: () => void): number {
  let steps = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ROUND_MS) {
    for (let i = 0; i < 50; i++) step();
    steps += 50;
    elapsed = performance.now() - start;
  }
  return (steps * bytes) / (elapsed / 1000) / 1e6;
}

/**
 * Median MB/s of each contender. Rounds are interleaved (A B C, A B C, ...) so that a machine
 * shared with other work slows all contenders alike.
 */
function compare(bytes: number, contenders: Record<string, () => void>): Record<string, number> {
  const rates: Record<string, number[]> = {};
  for (const [name, step] of Object.entries(contenders)) {
    for (let i = 0; i < 200; i++) step(); // warm-up
    rates[name] = [];
  }
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, step] of Object.entries(contenders)) rates[name]?.push(round(bytes, step));
  }
  return Object.fromEntries(Object.entries(rates).map(([name, list]) => [name, median(list)]));
}

function sessionStep(payload: number): () => void {
  // Rekeying stays on its defaults, so the run measures steady-state sealing and opening.
  const { a, b } = establishedPair(undefined);
  const data = new Uint8Array(randomBytes(payload));
  let now = 0;
  return () => {
    const { bytes } = a.sealData({ ...TYPICAL, data }, { sharding: true }, now);
    const result = b.receive(bytes, now);
    if (result.kind !== 'data') throw new Error(`session dropped a datagram: ${JSON.stringify(result)}`);
    now += 0.01;
  };
}

function nobleStep(payload: number, aadLength: number): () => void {
  const key = new Uint8Array(randomBytes(32));
  const nonce = new Uint8Array(randomBytes(12));
  const aad = new Uint8Array(randomBytes(aadLength));
  const data = new Uint8Array(randomBytes(payload));
  return () => {
    nonce[11] = (nonce[11] as number) + 1;
    const sealed = chacha20poly1305(key, nonce, aad).encrypt(data);
    chacha20poly1305(key, nonce, aad).decrypt(sealed);
  };
}

function nodeCryptoStep(payload: number, aadLength: number): () => void {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = randomBytes(aadLength);
  const data = randomBytes(payload);
  return () => {
    nonce[11] = ((nonce[11] as number) + 1) & 255;
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: payload });
    const ciphertext = Buffer.concat([c.update(data), c.final()]);
    const tag = c.getAuthTag();
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: payload });
    d.setAuthTag(tag);
    d.update(ciphertext);
    d.final();
  };
}

// ---- fuzzing -----------------------------------------------------------------------------

/** xorshift32: fast, deterministic, good enough to drive mutations. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Forces a full collection (for heap figures); a no-op if V8 refuses the flag. */
function collectGarbage(): void {
  setFlagsFromString('--expose_gc');
  const gc = runInNewContext('typeof gc === "function" ? gc : undefined') as (() => void) | undefined;
  gc?.();
}

export interface FuzzReport {
  datagrams: number;
  /** Exceptions escaping a decoder or the session: must be 0. */
  throws: number;
  /** Datagrams the session accepted that were not byte-identical to a genuine one: must be 0. */
  forgeriesAccepted: number;
  /** Heap growth across the run after full collections, bytes (bounded state: stays small). */
  heapGrowth: number;
  dropped: Record<string, number>;
  ms: number;
}

/**
 * Sends `count` random and mutated datagrams into every decoder, into an established session
 * and into a session still handshaking. Mutations start from genuine datagrams of every type:
 * bit flips, byte overwrites, truncation, extension, splices and header rewrites.
 */
export function runFuzz(count: number, seed = 1): FuzzReport {
  const next = prng(seed);
  const { a, b } = establishedPair(undefined);
  const fresh = new SecureSession({ role: 'responder' });
  const genuine: Uint8Array[] = [
    a.hello(0),
    new SecureSession({ role: 'initiator' }).hello(0),
    ...(() => {
      const r = fresh.receive(new SecureSession({ role: 'initiator' }).hello(0), 0);
      return r.kind === 'handshake' ? r.reply : [];
    })(),
    (encodeVersionPacket({ refusedVersion: 3, supported: [1] }) as { value: Uint8Array }).value,
  ];
  const frames: ControlFrame[] = [
    { type: 'ack', ackDelay: 1.25, ranges: [{ smallest: 90, largest: 100 }, { smallest: 10, largest: 20 }] },
    { type: 'nack', ranges: [{ smallest: 5, largest: 7 }] },
    { type: 'probe', id: 3, sendTime: 12.5 },
    { type: 'echo', id: 3, echoedSendTime: 12.5, holdTime: 0.5 },
    { type: 'cancel', messageNumbers: [1, 2, 70000] },
    { type: 'close', code: 6, reason: 'fuzz' },
  ];
  const handshakeCount = genuine.length;
  const genuineHex = new Set<string>();
  // Sealed datagrams are re-sealed now and then under fresh packet numbers, so that mutations
  // reach the AEAD instead of stopping at the replay window.
  function sealGenuine(now: number): void {
    genuine.length = handshakeCount;
    genuineHex.clear(); // the previous batch can no longer be produced: mutations start from this one
    for (let i = 0; i < 24; i++) {
      const size = [0, 1, 100, 700, DATAGRAM - dataHeaderLength({ ...TYPICAL }) - TAG_LENGTH][i % 5] as number;
      genuine.push(a.sealData({ ...TYPICAL, messageNumber: i, data: new Uint8Array(size).fill(i) }, { sharding: i % 2 === 0 }, now).bytes);
    }
    genuine.push(a.sealControl(frames.slice(0, 5), now).bytes);
    for (const g of genuine) genuineHex.add(Buffer.from(g).toString('hex'));
  }
  const bodies = frames.map((f) => (encodeControlFrames([f]) as { value: Uint8Array }).value);
  bodies.push((encodeControlFrames(frames) as { value: Uint8Array }).value);

  const decoders = [decodePrefix, decodeHello, decodeReveal, decodeVersionPacket, decodeSealedPacket, decodeControlFrames];
  const pick = <T>(list: readonly T[]): T => list[next() % list.length] as T;

  function mutate(source: Uint8Array): Uint8Array {
    let bytes = source.slice();
    const edits = 1 + (next() % 4);
    for (let e = 0; e < edits; e++) {
      const at = bytes.length === 0 ? 0 : next() % bytes.length;
      switch (next() % 7) {
        case 0:
          if (bytes.length > 0) bytes[at] = (bytes[at] as number) ^ (1 << (next() % 8));
          break;
        case 1:
          if (bytes.length > 0) bytes[at] = next() & 255;
          break;
        case 2:
          bytes = bytes.subarray(0, at);
          break;
        case 3: {
          const longer = new Uint8Array(bytes.length + 1 + (next() % 64));
          longer.set(bytes);
          for (let i = bytes.length; i < longer.length; i++) longer[i] = next() & 255;
          bytes = longer;
          break;
        }
        case 4: {
          const other = pick(genuine);
          const cut = next() % (other.length + 1);
          const spliced = new Uint8Array(at + other.length - cut);
          spliced.set(bytes.subarray(0, at));
          spliced.set(other.subarray(cut), at);
          bytes = spliced;
          break;
        }
        case 5:
          if (bytes.length > 0) bytes[0] = (next() & 0xf0) | (bytes[0] as number & 0x0f);
          break;
        default:
          if (bytes.length > 1) bytes[1] = next() % 8;
      }
    }
    return bytes;
  }

  function randomDatagram(): Uint8Array {
    const bytes = new Uint8Array(next() % (DATAGRAM + 50));
    for (let i = 0; i < bytes.length; i++) bytes[i] = next() & 255;
    // Half the time, a plausible prefix, so the deeper decoders see the input too.
    if (bytes.length >= 2 && next() % 2 === 0) {
      bytes[0] = 0x10 | (next() & 0x03);
      bytes[1] = 1 + (next() % 5);
    }
    return bytes;
  }

  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const start = performance.now();
  let throws = 0;
  let forgeriesAccepted = 0;
  for (let i = 0; i < count; i++) {
    if (i % 256 === 0) sealGenuine(i);
    const datagram = i % 4 === 0 ? randomDatagram() : mutate(pick(genuine));
    const body = mutate(pick(bodies));
    const now = i;
    try {
      for (const decode of decoders) decode(datagram);
      decodeControlFrames(body);
      const result = b.receive(datagram, now);
      if ((result.kind === 'data' || result.kind === 'control') && !genuineHex.has(Buffer.from(datagram).toString('hex'))) {
        forgeriesAccepted++;
      }
      fresh.receive(datagram, now);
    } catch {
      throws++;
    }
  }
  const ms = performance.now() - start;
  collectGarbage();
  const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
  // The established session still works after the storm.
  const after = a.sealData({ ...TYPICAL, data: new Uint8Array(10) }, { sharding: false }, count);
  if (b.receive(after.bytes, count).kind !== 'data') throws++;
  const dropped = b.counters().dropped;
  return { datagrams: count, throws, forgeriesAccepted, heapGrowth, dropped, ms };
}

// ---- main ---------------------------------------------------------------------------------

function main(): void {
  const fuzzAt = process.argv.indexOf('--fuzz');
  if (fuzzAt >= 0) {
    const count = Number(process.argv[fuzzAt + 1] ?? 1_000_000);
    const report = runFuzz(count, Number(process.env.FUZZ_SEED ?? 1));
    console.log(`fuzz: ${report.datagrams} datagrams in ${(report.ms / 1000).toFixed(1)} s`);
    console.log(`  throws ${report.throws}, forgeries accepted ${report.forgeriesAccepted}`);
    console.log(`  heap growth ${(report.heapGrowth / 1e6).toFixed(2)} MB`);
    console.log(`  established session drops: ${JSON.stringify(report.dropped)}`);
    console.log(JSON.stringify({ bench: 'crypto_fuzz', datagrams: report.datagrams, throws: report.throws, forgeries_accepted: report.forgeriesAccepted, heap_growth_bytes: report.heapGrowth, ms: Math.round(report.ms) }));
    if (report.throws > 0 || report.forgeriesAccepted > 0) process.exitCode = 1;
    return;
  }

  const header = dataHeaderLength(TYPICAL);
  const headerTag = header + TAG_LENGTH;
  const worst = dataHeaderLength({ ...TYPICAL, messageNumber: 2 ** 30 - 1, sequenceNumber: 2 ** 30 - 2, totalFragments: 2 ** 30 - 1, orderedSequence: 2 ** 30 - 1 }) + TAG_LENGTH;
  const payload = DATAGRAM - headerTag;
  const share = headerTag / DATAGRAM;
  console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, node ${process.version}`);
  console.log(`full DATA datagram of ${DATAGRAM} B: header ${header} B + tag ${TAG_LENGTH} B = ${headerTag} B (${(share * 100).toFixed(2)} %), payload ${payload} B`);
  console.log(`  worst case (every varint at 4 bytes): ${worst} B (${((worst / DATAGRAM) * 100).toFixed(2)} %); unordered typical: ${headerTag - 2} B`);

  const rates = compare(payload, {
    session: sessionStep(payload),
    noble: nobleStep(payload, header),
    node: nodeCryptoStep(payload, header),
  });
  const session = rates.session as number;
  const noble = rates.noble as number;
  const node = rates.node as number;
  console.log(`seal+open, ${payload} B payload per ${DATAGRAM} B datagram, median of ${ROUNDS} interleaved rounds of ${ROUND_MS} ms:`);
  console.log(`  SecureSession (noble + header, nonce, replay window, uuid) ${session.toFixed(1)} MB/s`);
  console.log(`  raw @noble/ciphers chacha20poly1305                        ${noble.toFixed(1)} MB/s`);
  console.log(`  node:crypto chacha20-poly1305 (OpenSSL)                    ${node.toFixed(1)} MB/s`);
  console.log(
    JSON.stringify({
      bench: 'crypto',
      header_tag_bytes: headerTag,
      overhead_share: Number(share.toFixed(4)),
      session_mb_s: Number(session.toFixed(1)),
      noble_mb_s: Number(noble.toFixed(1)),
      node_crypto_mb_s: Number(node.toFixed(1)),
    }),
  );
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) main();
