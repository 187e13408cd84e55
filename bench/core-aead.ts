// ChaCha20-Poly1305 throughput: PDU's WebAssembly core against @noble/ciphers (the reference),
// node:crypto (OpenSSL) and libsodium-wrappers (libsodium compiled to WebAssembly, when installed).
//
//   npx tsx bench/core-aead.ts            seal and seal+open at 1150 B and 64 KiB, medians of rounds
//                                         (BENCH_ROUNDS, default 7; BENCH_ROUND_MS, default 150)
//   npx tsx bench/core-aead.ts --memory   also 1,000,000 seal+open pairs of 1150 B on the WASM core,
//                                         reporting linear memory before and after
//
// MB/s is 10^6 bytes of payload per second of this process's CPU time (the wall-clock figure is
// printed beside it). "seal+open" counts the payload once per round trip (seal, then open of
// what was sealed); the *_mb_s_* keys are seal+open, *_seal_mb_s_* seal alone, *_wall_mb_s_*
// seal+open per wall-clock second. The last line is JSON for the docs and CI.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { cpus } from 'node:os';
import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { loadWasmCore } from '../src/core/index.js';
import { median } from './stats.js';

interface Aead {
  readonly name: string;
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, pt: Uint8Array): Uint8Array;
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | undefined;
}

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const ROUND_MS = Number(process.env.BENCH_ROUND_MS ?? 150);
const SIZES = [1150, 65536] as const;
const AAD_BYTES = 16;

const nodeCrypto: Aead = {
  name: 'node_crypto',
  seal(key, nonce, aad, pt) {
    const c = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    c.setAAD(aad, { plaintextLength: pt.length });
    const head = c.update(pt);
    c.final();
    const out = new Uint8Array(head.length + 16);
    out.set(head, 0);
    out.set(c.getAuthTag(), head.length);
    return out;
  },
  open(key, nonce, aad, sealed) {
    const len = sealed.length - 16;
    const d = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: 16 });
    d.setAAD(aad, { plaintextLength: len });
    d.setAuthTag(sealed.subarray(len));
    const pt = d.update(sealed.subarray(0, len));
    try {
      d.final();
    } catch {
      return undefined;
    }
    return pt;
  },
};

const noble: Aead = {
  name: 'noble',
  seal: (key, nonce, aad, pt) => chacha20poly1305(key, nonce, aad).encrypt(pt),
  open(key, nonce, aad, sealed) {
    try {
      return chacha20poly1305(key, nonce, aad).decrypt(sealed);
    } catch {
      return undefined;
    }
  },
};

interface Sodium {
  ready: Promise<void>;
  crypto_aead_chacha20poly1305_ietf_encrypt(m: Uint8Array, ad: Uint8Array, nsec: null, npub: Uint8Array, k: Uint8Array): Uint8Array;
  crypto_aead_chacha20poly1305_ietf_decrypt(nsec: null, c: Uint8Array, ad: Uint8Array, npub: Uint8Array, k: Uint8Array): Uint8Array;
}

/** libsodium-wrappers is not a dependency: measured only when installed (npm install --no-save libsodium-wrappers). */
async function loadSodium(): Promise<Aead | undefined> {
  let sodium: Sodium;
  try {
    const specifier = 'libsodium-wrappers';
    const mod = (await import(specifier)) as { default?: Sodium } & Sodium;
    sodium = mod.default ?? mod;
    await sodium.ready;
  } catch {
    return undefined;
  }
  return {
    name: 'libsodium',
    seal: (key, nonce, aad, pt) => sodium.crypto_aead_chacha20poly1305_ietf_encrypt(pt, aad, null, nonce, key),
    open(key, nonce, aad, sealed) {
      try {
        return sodium.crypto_aead_chacha20poly1305_ietf_decrypt(null, sealed, aad, nonce, key);
      } catch {
        return undefined;
      }
    },
  };
}

/**
 * Runs `op` in batches for about ROUND_MS; returns payload MB/s per second of this process's CPU
 * time (user + system, GC threads included) and per second of wall time. Other processes on this
 * shared 2-core machine stretch wall time but hardly CPU time, so CPU time is the headline.
 */
function round(op: () => void, bytesPerOp: number): { cpu: number; wall: number } {
  let ops = 0;
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  let now = start;
  while (now - start < ROUND_MS) {
    for (let i = 0; i < 32; i++) op();
    ops += 32;
    now = performance.now();
  }
  const cpu = process.cpuUsage(cpu0);
  const bytes = ops * bytesPerOp;
  return { cpu: bytes / ((cpu.user + cpu.system) / 1e6) / 1e6, wall: bytes / ((now - start) / 1000) / 1e6 };
}

interface Case {
  readonly sealOnly: () => void;
  readonly sealOpen: () => void;
  readonly seal: number[];
  readonly roundTrip: number[];
  readonly roundTripWall: number[];
}

function prepare(aead: Aead, size: number): Case {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = randomBytes(AAD_BYTES);
  const pt = randomBytes(size);
  const sealed = aead.seal(key, nonce, aad, pt);
  const back = aead.open(key, nonce, aad, sealed);
  if (!back || Buffer.compare(back, pt) !== 0) throw new Error(`${aead.name}: round trip failed at ${size} B`);
  return {
    sealOnly: () => {
      aead.seal(key, nonce, aad, pt);
    },
    sealOpen: () => {
      if (!aead.open(key, nonce, aad, aead.seal(key, nonce, aad, pt))) throw new Error('open failed');
    },
    seal: [],
    roundTrip: [],
    roundTripWall: [],
  };
}

/**
 * Medians over ROUNDS rounds; within a round every implementation runs once, so a neighbour's
 * load on this shared machine lands on all of them alike.
 */
interface Result {
  seal: number;
  sealOpen: number;
  sealOpenWall: number;
}

function measureAll(impls: readonly Aead[], size: number): Result[] {
  const cases = impls.map((impl) => prepare(impl, size));
  for (const c of cases) round(c.sealOpen, size); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of cases) {
      c.seal.push(round(c.sealOnly, size).cpu);
      const rt = round(c.sealOpen, size);
      c.roundTrip.push(rt.cpu);
      c.roundTripWall.push(rt.wall);
    }
  }
  return cases.map((c) => ({ seal: median(c.seal), sealOpen: median(c.roundTrip), sealOpenWall: median(c.roundTripWall) }));
}

const core = await loadWasmCore();
const wasm: Aead = {
  name: 'wasm',
  seal: (k, n, a, p) => core.aeadSeal(k, n, a, p),
  open: (k, n, a, s) => core.aeadOpen(k, n, a, s),
};
const sodium = await loadSodium();
const impls: Aead[] = [wasm, noble, nodeCrypto, ...(sodium ? [sodium] : [])];

// All four must agree byte for byte before any of them is timed.
{
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = randomBytes(AAD_BYTES);
  const pt = randomBytes(1150);
  const want = Buffer.from(noble.seal(key, nonce, aad, pt)).toString('hex');
  for (const impl of impls) {
    if (Buffer.from(impl.seal(key, nonce, aad, pt)).toString('hex') !== want) throw new Error(`${impl.name} differs from noble`);
  }
}

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} x${cpus().length}, Node ${process.version}`);
console.log(`rounds: ${ROUNDS} x ${ROUND_MS} ms, implementations interleaved, medians; AAD ${AAD_BYTES} B`);
console.log('MB/s = 10^6 B of payload per CPU-second of this process (wall-clock seal+open alongside)');
if (!sodium) console.log('libsodium-wrappers not installed: npm install --no-save libsodium-wrappers to compare');

const result: Record<string, number | string | null> = { bench: 'core-aead', clock: 'process-cpu', metric: 'seal+open' };
console.log(`${'impl'.padEnd(12)} ${'size'.padStart(6)} ${'seal'.padStart(9)} ${'seal+open'.padStart(10)} ${'wall s+o'.padStart(9)}`);
for (const size of SIZES) {
  const results = measureAll(impls, size);
  for (const [i, impl] of impls.entries()) {
    const { seal, sealOpen, sealOpenWall } = results[i] as Result;
    const tag = size === 1150 ? '1150' : '64k';
    result[`${impl.name}_mb_s_${tag}`] = Math.round(sealOpen * 10) / 10;
    result[`${impl.name}_seal_mb_s_${tag}`] = Math.round(seal * 10) / 10;
    result[`${impl.name}_wall_mb_s_${tag}`] = Math.round(sealOpenWall * 10) / 10;
    console.log(
      `${impl.name.padEnd(12)} ${String(size).padStart(6)} ${seal.toFixed(1).padStart(9)} ${sealOpen.toFixed(1).padStart(10)} ${sealOpenWall.toFixed(1).padStart(9)}`,
    );
  }
}
if (!sodium) {
  result.libsodium_mb_s_1150 = null;
  result.libsodium_mb_s_64k = null;
}
const wasm1150 = result.wasm_mb_s_1150 as number;
for (const other of ['noble', 'node_crypto', 'libsodium']) {
  const v = result[`${other}_mb_s_1150`];
  if (typeof v === 'number') result[`wasm_vs_${other}_1150`] = Math.round((wasm1150 / v) * 100) / 100;
}

if (process.argv.includes('--memory')) {
  // The linear-memory soak: a million seal+open pairs of one datagram after warm-up.
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = randomBytes(AAD_BYTES);
  const pt = randomBytes(1150);
  const memory = (core as unknown as { core: { memory: WebAssembly.Memory } }).core.memory;
  for (let i = 0; i < 1000; i++) core.aeadOpen(key, nonce, aad, core.aeadSeal(key, nonce, aad, pt));
  const before = memory.buffer.byteLength;
  const start = performance.now();
  for (let i = 0; i < 1_000_000; i++) {
    if (!core.aeadOpen(key, nonce, aad, core.aeadSeal(key, nonce, aad, pt))) throw new Error('open failed');
  }
  const after = memory.buffer.byteLength;
  const seconds = (performance.now() - start) / 1000;
  console.log(`memory: 1,000,000 seal+open pairs of 1150 B in ${seconds.toFixed(1)} s; linear memory ${before} -> ${after} B`);
  result.memory_pairs = 1_000_000;
  result.memory_bytes_before = before;
  result.memory_bytes_after = after;
}

result.machine = `${cpus()[0]?.model ?? 'unknown'} x${cpus().length}`;
result.node = process.version;
console.log(JSON.stringify(result));
