// npm run bench:core — what the WebAssembly core buys, in one run:
//   - the engine end to end (send, seal, open, reassemble: 64 KiB messages in 1150-byte
//     datagrams, no loss; two engines wired back to back in this thread) on the WASM core and on
//     the TypeScript reference;
//   - raw @noble/ciphers ChaCha20-Poly1305 seal + open over the same bytes in 1150-byte pieces;
//   - each core function on WASM against its reference;
//   - what handing sent datagrams back to the engine (recycleDatagram) buys on each core.
// The engines hand datagrams back, as a host over a W3C RTCDataChannel does. Figures are medians over rounds, MB/s = 10^6 payload bytes per second of this process's CPU
// time. The reference engine and noble are measured in alternating chunks within each round, so
// both see the same load on a shared machine, and their ratio is taken per round
// (`engine_ts_over_noble`, the median of the rounds' ratios). Two unrecorded rounds warm the JIT
// first: the engine's code takes two to three rounds to reach its steady speed, noble's one. The
// last line is JSON.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { loadWasmCore, referenceCore, type PduCore } from '../src/core/index.js';
import { PduEngine } from '../src/engine/index.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const WARMUP_ROUNDS = Number(process.env.BENCH_WARMUP ?? 2);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200);
/** Alternating engine/noble chunks per round (MESSAGES is split between them). */
const CHUNKS = 8;
const MESSAGE_BYTES = 65536;
const DATAGRAM_PAYLOAD = 1150;

const cpuMs = () => process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;

/** Payload MB per CPU-second of `fn`, which moves `bytes` payload bytes. */
function rate(bytes: number, fn: () => void): number {
  const start = cpuMs();
  fn();
  return bytes / 1e6 / ((cpuMs() - start) / 1000);
}

/**
 * Two engines back to back on a virtual clock, handshake done. The returned function sends
 * `messages` more messages and returns the CPU ms until the peer has delivered them all. With
 * `recycle` (the default) each datagram goes back to its sender once the peer has handled it.
 */
function enginePair(core: PduCore, recycle = true): (messages: number) => number {
  // Datagrams of the noble baseline's piece size, whatever the engine's default.
  const a = new PduEngine({ role: 'initiator', core, maxDatagramSize: DATAGRAM_PAYLOAD });
  const b = new PduEngine({ role: 'responder', core, maxDatagramSize: DATAGRAM_PAYLOAD });
  let now = 0;
  let delivered = 0;
  const step = () => {
    for (let moved = true; moved; ) {
      moved = false;
      // The peer keeps nothing of a datagram it handled, so its memory goes back to the sender, as
      // a host whose channel copies on send (a W3C RTCDataChannel) gives it back. Such a channel
      // is one FIFO lane, and its host says so (lane 0).
      for (let d = a.pollTransmit(undefined, 0); d; d = a.pollTransmit(undefined, 0), moved = true) {
        b.handleDatagram(d, now);
        if (recycle) a.recycleDatagram(d);
      }
      for (let d = b.pollTransmit(undefined, 0); d; d = b.pollTransmit(undefined, 0), moved = true) {
        a.handleDatagram(d, now);
        if (recycle) b.recycleDatagram(d);
      }
    }
    while (a.pollEvent());
    for (let e = b.pollEvent(); e; e = b.pollEvent()) if (e.type === 'message') delivered++;
    now += 0.25;
    a.handleTimeout(now);
    b.handleTimeout(now);
  };
  a.connect(now);
  b.connect(now);
  while (a.state !== 'established' || b.state !== 'established') step();
  const message = new Uint8Array(MESSAGE_BYTES);
  return (messages) => {
    const target = delivered + messages;
    const start = cpuMs();
    for (let i = 0; i < messages; i++) {
      a.send(message, undefined, now);
      for (let k = 0; k < 4; k++) step();
    }
    for (let k = 0; delivered < target && k < 100_000; k++) step();
    if (delivered < target) throw new Error(`engine delivered ${delivered}/${target}`);
    return cpuMs() - start;
  };
}

/** Payload MB/s of the engine on `core` over MESSAGES messages. */
function engineRound(core: PduCore): number {
  return (MESSAGES * MESSAGE_BYTES) / 1e6 / (enginePair(core)(MESSAGES) / 1000);
}

/**
 * CPU ms of raw noble ChaCha20-Poly1305 seal + open over the payload of `messages` messages, in
 * 1150-byte pieces, each seal and each open with a fresh cipher object as the reference core does.
 */
function nobleChunk(messages: number): number {
  const key = new Uint8Array(32).fill(7);
  const nonce = new Uint8Array(12);
  const aad = new Uint8Array(16);
  const piece = new Uint8Array(DATAGRAM_PAYLOAD);
  const pieces = Math.ceil((messages * MESSAGE_BYTES) / DATAGRAM_PAYLOAD);
  const start = cpuMs();
  for (let i = 0; i < pieces; i++) {
    nonce[11] = i & 0xff;
    const sealed = chacha20poly1305(key, nonce, aad).encrypt(piece);
    chacha20poly1305(key, nonce, aad).decrypt(sealed);
  }
  return cpuMs() - start;
}

/**
 * CPU ms of `first` and `second` over `chunks` chunks, alternating in ABBA order so that a load
 * trend within the round weighs on both alike; which goes first alternates between rounds, as the
 * first chunk also pays for collecting what the round before left. Each is given the chunk index.
 */
function alternating(chunks: number, round: number, first: (c: number) => number, second: (c: number) => number): [number, number] {
  let firstMs = 0;
  let secondMs = 0;
  for (let c = 0; c < chunks; c++) {
    if ((c + round) % 2 === 0) {
      firstMs += first(c);
      secondMs += second(c);
    } else {
      secondMs += second(c);
      firstMs += first(c);
    }
  }
  return [firstMs, secondMs];
}

/** The reference engine and noble over the same payload, alternating. Returns both rates in MB/s. */
function referenceAndNobleRound(round: number): { engineTs: number; noble: number } {
  const engine = enginePair(referenceCore);
  const perChunk = Math.ceil(MESSAGES / CHUNKS);
  const chunkMessages = (c: number) => Math.max(0, Math.min(perChunk, MESSAGES - c * perChunk));
  const [engineMs, nobleMs] = alternating(CHUNKS, round, (c) => engine(chunkMessages(c)), (c) => nobleChunk(chunkMessages(c)));
  let nobleBytes = 0;
  for (let c = 0; c < CHUNKS; c++) nobleBytes += Math.ceil((chunkMessages(c) * MESSAGE_BYTES) / DATAGRAM_PAYLOAD) * DATAGRAM_PAYLOAD;
  return { engineTs: (MESSAGES * MESSAGE_BYTES) / 1e6 / (engineMs / 1000), noble: nobleBytes / 1e6 / (nobleMs / 1000) };
}

/**
 * What handing datagrams back buys (PduEngine.recycleDatagram): the engine on `core` with and
 * without it, alternating; the median over rounds of the per-round speed ratio.
 */
function recyclingGain(core: PduCore, rounds: number): number {
  const withRecycling = enginePair(core, true);
  const without = enginePair(core, false);
  const perChunk = Math.ceil(MESSAGES / CHUNKS);
  withRecycling(perChunk);
  without(perChunk);
  const ratios: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const [recycledMs, plainMs] = alternating(4, r, () => withRecycling(perChunk), () => without(perChunk));
    ratios.push(plainMs / recycledMs);
  }
  return median(ratios);
}

function functionRates(core: PduCore): Record<string, number> {
  const key = new Uint8Array(32).fill(3);
  const nonce = new Uint8Array(12).fill(1);
  const aad = new Uint8Array(16);
  const data = new Uint8Array(DATAGRAM_PAYLOAD).fill(9);
  const sealed = core.aeadSeal(key, nonce, aad, data);
  const dst = new Uint8Array(DATAGRAM_PAYLOAD);
  const n = 20_000;
  return {
    aead_seal_1150: rate(n * DATAGRAM_PAYLOAD, () => {
      for (let i = 0; i < n; i++) core.aeadSeal(key, nonce, aad, data);
    }),
    aead_open_1150: rate(n * DATAGRAM_PAYLOAD, () => {
      for (let i = 0; i < n; i++) core.aeadOpen(key, nonce, aad, sealed);
    }),
    xor_into_1150: rate(n * 5 * DATAGRAM_PAYLOAD, () => {
      for (let i = 0; i < n * 5; i++) core.xorInto(dst, data);
    }),
  };
}

const wasm = await loadWasmCore();
for (let r = 0; r < WARMUP_ROUNDS; r++) {
  engineRound(wasm);
  referenceAndNobleRound(r);
}
const runs = { engineWasm: [] as number[], engineTs: [] as number[], noble: [] as number[], tsOverNoble: [] as number[] };
const fnWasm: Record<string, number[]> = {};
const fnRef: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  runs.engineWasm.push(engineRound(wasm));
  const { engineTs, noble } = referenceAndNobleRound(r);
  runs.engineTs.push(engineTs);
  runs.noble.push(noble);
  runs.tsOverNoble.push(engineTs / noble);
  for (const [name, v] of Object.entries(functionRates(wasm))) (fnWasm[name] ??= []).push(v);
  for (const [name, v] of Object.entries(functionRates(referenceCore))) (fnRef[name] ??= []).push(v);
  console.log(
    `round ${r + 1}: engine wasm ${runs.engineWasm.at(-1)!.toFixed(1)} MB/s, engine ts ${engineTs.toFixed(1)} MB/s, ` +
      `noble seal+open ${noble.toFixed(1)} MB/s, ts/noble ${(engineTs / noble).toFixed(2)}`,
  );
}
const functions = Object.fromEntries(
  Object.keys(fnWasm).map((name) => {
    const w = median(fnWasm[name]!);
    const t = median(fnRef[name]!);
    return [name, { wasm_mb_s: w, reference_mb_s: t, speedup: w / t }];
  }),
);
const recycling = { wasm: recyclingGain(wasm, ROUNDS), reference: recyclingGain(referenceCore, ROUNDS) };
const out = {
  bench: 'core',
  engine_wasm_mb_s: median(runs.engineWasm),
  engine_ts_mb_s: median(runs.engineTs),
  noble_aead_mb_s: median(runs.noble),
  /** Median of the per-round ratios of the two above, each round's pair measured side by side. */
  engine_ts_over_noble: median(runs.tsOverNoble),
  engine_ts_over_noble_range: [Math.min(...runs.tsOverNoble), Math.max(...runs.tsOverNoble)],
  message_bytes: MESSAGE_BYTES,
  datagram_bytes: DATAGRAM_PAYLOAD,
  rounds: ROUNDS,
  warmup_rounds: WARMUP_ROUNDS,
  functions,
  /** Engine speed with datagrams handed back over without (median of paired rounds). */
  recycling_speedup: recycling,
};
console.log(
  `engine on WASM / on reference: ${(out.engine_wasm_mb_s / out.engine_ts_mb_s).toFixed(2)}x; ` +
    `reference engine / raw noble seal+open: ${out.engine_ts_over_noble.toFixed(2)}x (median of rounds, ` +
    `${out.engine_ts_over_noble_range.map((x) => x.toFixed(2)).join('-')})`,
);
console.log(
  `handing datagrams back (recycleDatagram): engine on WASM ${recycling.wasm.toFixed(3)}x, on reference ` +
    `${recycling.reference.toFixed(3)}x (median of paired rounds)`,
);
console.log(JSON.stringify(out));
