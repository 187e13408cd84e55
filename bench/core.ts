// npm run bench:core — what the WebAssembly core buys, in one run:
//   - the engine end to end (send, seal, open, reassemble: 64 KiB messages in 1150-byte
//     datagrams, no loss; two engines wired back to back in this thread) on the WASM core and on
//     the TypeScript reference;
//   - raw @noble/ciphers ChaCha20-Poly1305 seal + open over the same bytes in 1150-byte pieces;
//   - each core function on WASM against its reference.
// Figures are medians over rounds, MB/s = 10^6 payload bytes per second of this process's CPU
// time. The last line is JSON.
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { loadWasmCore, referenceCore, type PduCore } from '../src/core/index.js';
import { PduEngine } from '../src/engine/index.js';
import { median } from './stats.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const MESSAGES = Number(process.env.BENCH_MESSAGES ?? 200);
const MESSAGE_BYTES = 65536;
const DATAGRAM_PAYLOAD = 1150;

const cpuMs = () => process.cpuUsage().user / 1000 + process.cpuUsage().system / 1000;

/** Payload MB per CPU-second of `fn`, which moves `bytes` payload bytes. */
function rate(bytes: number, fn: () => void): number {
  const start = cpuMs();
  fn();
  return bytes / 1e6 / ((cpuMs() - start) / 1000);
}

/** Two engines back to back on a virtual clock; returns payload MB/s of whole messages delivered. */
function engineRound(core: PduCore): number {
  // Datagrams of the noble baseline's piece size, whatever the engine's default.
  const a = new PduEngine({ role: 'initiator', core, maxDatagramSize: DATAGRAM_PAYLOAD });
  const b = new PduEngine({ role: 'responder', core, maxDatagramSize: DATAGRAM_PAYLOAD });
  let now = 0;
  let delivered = 0;
  const step = () => {
    for (let moved = true; moved; ) {
      moved = false;
      for (let d = a.pollTransmit(); d; d = a.pollTransmit(), moved = true) b.handleDatagram(d, now);
      for (let d = b.pollTransmit(); d; d = b.pollTransmit(), moved = true) a.handleDatagram(d, now);
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
  return rate(MESSAGES * MESSAGE_BYTES, () => {
    for (let i = 0; i < MESSAGES; i++) {
      a.send(message, undefined, now);
      for (let k = 0; k < 4; k++) step();
    }
    for (let k = 0; delivered < MESSAGES && k < 100_000; k++) step();
    if (delivered < MESSAGES) throw new Error(`engine round delivered ${delivered}/${MESSAGES}`);
  });
}

function nobleRound(): number {
  const key = new Uint8Array(32).fill(7);
  const nonce = new Uint8Array(12);
  const aad = new Uint8Array(16);
  const piece = new Uint8Array(DATAGRAM_PAYLOAD);
  const pieces = Math.ceil((MESSAGES * MESSAGE_BYTES) / DATAGRAM_PAYLOAD);
  return rate(pieces * DATAGRAM_PAYLOAD, () => {
    for (let i = 0; i < pieces; i++) {
      nonce[11] = i & 0xff;
      const sealed = chacha20poly1305(key, nonce, aad).encrypt(piece);
      chacha20poly1305(key, nonce, aad).decrypt(sealed);
    }
  });
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
const runs = { engineWasm: [] as number[], engineTs: [] as number[], noble: [] as number[] };
const fnWasm: Record<string, number[]> = {};
const fnRef: Record<string, number[]> = {};
for (let r = 0; r < ROUNDS; r++) {
  runs.engineWasm.push(engineRound(wasm));
  runs.engineTs.push(engineRound(referenceCore));
  runs.noble.push(nobleRound());
  for (const [name, v] of Object.entries(functionRates(wasm))) (fnWasm[name] ??= []).push(v);
  for (const [name, v] of Object.entries(functionRates(referenceCore))) (fnRef[name] ??= []).push(v);
  console.log(`round ${r + 1}: engine wasm ${runs.engineWasm.at(-1)!.toFixed(1)} MB/s, engine ts ${runs.engineTs.at(-1)!.toFixed(1)} MB/s, noble seal+open ${runs.noble.at(-1)!.toFixed(1)} MB/s`);
}
const functions = Object.fromEntries(
  Object.keys(fnWasm).map((name) => {
    const w = median(fnWasm[name]!);
    const t = median(fnRef[name]!);
    return [name, { wasm_mb_s: w, reference_mb_s: t, speedup: w / t }];
  }),
);
const out = {
  bench: 'core',
  engine_wasm_mb_s: median(runs.engineWasm),
  engine_ts_mb_s: median(runs.engineTs),
  noble_aead_mb_s: median(runs.noble),
  message_bytes: MESSAGE_BYTES,
  datagram_bytes: DATAGRAM_PAYLOAD,
  rounds: ROUNDS,
  functions,
};
console.log(
  `engine on WASM / on reference: ${(out.engine_wasm_mb_s / out.engine_ts_mb_s).toFixed(2)}x; ` +
    `reference engine / raw noble seal+open: ${(out.engine_ts_mb_s / out.noble_aead_mb_s).toFixed(2)}x`,
);
console.log(JSON.stringify(out));
