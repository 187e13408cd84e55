// npm run bench:browser — in one Chromium page: 64 MiB through PDU (engine in a worker) and through
// a raw RTCDataChannel, and main-thread busy time per MiB with the engine in the worker and inline.
// Main-thread time is Chromium's own TaskDuration metric (DevTools Performance domain), which counts
// the page's main thread only. Run inside the project's network namespace (the npm script does).
//
//   --mib=N --rounds=N        size and repetitions (64, 3)
//   --kinds=raw,worker        run only these paths (raw, raw1150, worker, inline; default all four)
//   --options=JSON            PduChannel options for every PDU run, e.g. '{"bundleBytes":0}'
//   --variants=JSON           named option sets, each run as its own worker kind in every round,
//                             e.g. '{"bundles":{},"single":{"bundleBytes":0}}' (A/B in one browser)
//   --cpu                     CPU ms per MiB of every Chromium thread, and packets per MiB (Linux)
//   --profile=DIR             CPU profiles (.cpuprofile) of the PDU workers during worker runs,
//                             with the top self times printed per worker
//   PDU_BENCH_DEBUG=1         the sender engine's stats after each PDU run
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { existsSync } from 'node:fs';
import { CHROMIUM_ARGS } from '../tests/support/chromium.js';
import { median } from './stats.js';
import { WorkerProfiler, chromiumThreadCpu, cpuDelta, namespacePackets } from './browser-profile.js';

const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const totalMiB = Number(arg('mib') ?? 64);
const rounds = Number(arg('rounds') ?? 3);
const profileDir = arg('profile');
const cpuReport = process.argv.includes('--cpu');
const baseOptions = JSON.parse(arg('options') ?? '{}') as Record<string, unknown>;
const variants = JSON.parse(arg('variants') ?? '{}') as Record<string, Record<string, unknown>>;

const server = await createServer({ logLevel: 'warn', server: { port: 5179, strictPort: true, hmr: false, watch: null } });
await server.listen();
const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const browser = await chromium.launch({ headless: true, executablePath, args: CHROMIUM_ARGS });

try {
  const page = await browser.newPage();
  await page.goto('http://127.0.0.1:5179/bench/browser.html');
  await page.waitForFunction(() => 'pduBench' in globalThis);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const profiler = profileDir ? await WorkerProfiler.attach(cdp, profileDir) : undefined;
  const mainThreadSeconds = async () =>
    ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? Number.NaN) as number;

  type Bench = {
    rawTransfer(mib: number, datagrams?: boolean): Promise<number>;
    pduTransfer(mib: number, worker: boolean, options?: Record<string, unknown>): Promise<number>;
  };
  // A kind is raw, raw1150, inline, worker, or worker:<variant>.
  const optionsOf = (kind: string) => ({ ...baseOptions, ...(kind.startsWith('worker:') ? variants[kind.slice(7)] : {}) });
  let round = 0;
  const cpuPerMib = new Map<string, number[]>();
  const run = async (kind: string) => {
    const isWorker = kind === 'worker' || kind.startsWith('worker:');
    if (profiler && isWorker) await profiler.start();
    const before = await mainThreadSeconds();
    // Read only when --cpu asks: the run's own figures need neither.
    const cpuBefore = cpuReport ? { threads: chromiumThreadCpu(), net: namespacePackets() } : undefined;
    const ms = await page.evaluate(
      ([k, mib, options]) => {
        const bench = (globalThis as unknown as { pduBench: Bench }).pduBench;
        if (k === 'raw' || k === 'raw1150') return bench.rawTransfer(mib, k === 'raw1150');
        return bench.pduTransfer(mib, k !== 'inline', options);
      },
      [kind, totalMiB, optionsOf(kind)] as const,
    );
    const busyMs = ((await mainThreadSeconds()) - before) * 1000;
    if (cpuBefore) {
      const delta = cpuDelta(cpuBefore.threads, chromiumThreadCpu());
      const total = delta.reduce((s, [, v]) => s + v, 0);
      const top = delta.slice(0, 8).map(([k, v]) => `${k} ${(v / totalMiB).toFixed(1)}`).join(', ');
      const net = namespacePackets();
      const packets = (net.packets - cpuBefore.net.packets) / totalMiB;
      const kib = (net.bytes - cpuBefore.net.bytes) / totalMiB / 1024;
      cpuPerMib.set(kind, [...(cpuPerMib.get(kind) ?? []), total / totalMiB]);
      console.log(`  ${kind}: per MiB ${packets.toFixed(0)} packets, ${kib.toFixed(0)} KiB; CPU ms/MiB total ${(total / totalMiB).toFixed(1)} (wall ${(ms / totalMiB).toFixed(1)}): ${top}`);
    }
    if (profiler && isWorker) await profiler.stop(`round${round}-${kind.replace(':', '-')}`);
    if (process.env.PDU_BENCH_DEBUG && kind !== 'raw' && kind !== 'raw1150') {
      console.log(JSON.stringify(await page.evaluate(() => (globalThis as Record<string, unknown>).pduLastStats)));
    }
    return { mbS: (totalMiB * 1024 * 1024) / 1e6 / (ms / 1000), mainMsPerMib: busyMs / totalMiB };
  };

  const workerKinds = Object.keys(variants).length > 0 ? Object.keys(variants).map((v) => `worker:${v}`) : ['worker'];
  const requested = arg('kinds')?.split(',') ?? ['raw', 'raw1150', 'worker', 'inline'];
  const kinds = requested.flatMap((k) => (k === 'worker' ? workerKinds : [k]));
  const results = new Map<string, { mbS: number[]; main: number[] }>(
    ['raw', 'raw1150', 'inline', ...workerKinds].map((k) => [k, { mbS: [], main: [] }]),
  );
  for (let r = 0; r < rounds; r++) {
    round = r + 1;
    // Variants rotate their order each round, so none always runs right after the raw channel.
    const shift = r % workerKinds.length;
    const rotated = workerKinds.slice(shift).concat(workerKinds.slice(0, shift));
    const order = kinds.map((k) => (workerKinds.includes(k) && workerKinds.length > 1 ? rotated[workerKinds.indexOf(k)]! : k));
    for (const kind of order) {
      const { mbS, mainMsPerMib } = await run(kind);
      results.get(kind)!.mbS.push(mbS);
      results.get(kind)!.main.push(mainMsPerMib);
      console.log(`round ${r + 1} ${kind.padEnd(7)} ${mbS.toFixed(1).padStart(7)} MB/s   main thread ${mainMsPerMib.toFixed(2)} ms/MiB`);
    }
    const raw = results.get('raw')!.mbS[r];
    if (raw !== undefined) {
      console.log(`round ${r + 1} PDU/raw ${workerKinds.map((k) => `${k} ${(results.get(k)!.mbS[r]! / raw).toFixed(2)}x`).join(', ')}`);
    }
  }
  const ratios = (k: string) => results.get(k)!.mbS.map((v, i) => v / results.get('raw')!.mbS[i]!);
  for (const k of workerKinds.length > 1 ? workerKinds : []) {
    const m = results.get(k)!;
    const cpu = cpuPerMib.get(k);
    console.log(`${k}: ${median(m.mbS).toFixed(1)} MB/s, PDU/raw median ${median(ratios(k)).toFixed(2)}x, main ${median(m.main).toFixed(2)} ms/MiB${cpu ? `, Chromium CPU ${median(cpu).toFixed(0)} ms/MiB` : ''}`);
  }
  const worker = results.get(workerKinds[0]!)!;
  const out = {
    bench: 'browser',
    total_mib: totalMiB,
    rounds,
    pdu_mb_s: median(worker.mbS),
    raw_mb_s: median(results.get('raw')!.mbS),
    raw_1150_unreliable_mb_s: median(results.get('raw1150')!.mbS),
    pdu_inline_mb_s: median(results.get('inline')!.mbS),
    pdu_raw_ratio_per_round: ratios(workerKinds[0]!),
    pdu_raw_ratio_median: median(ratios(workerKinds[0]!)),
    main_ms_per_mib_worker: median(worker.main),
    main_ms_per_mib_inline: median(results.get('inline')!.main),
    main_ms_per_mib_raw: median(results.get('raw')!.main),
  };
  console.log(
    `PDU/raw throughput ${out.pdu_raw_ratio_median.toFixed(2)}x (median of rounds); main thread worker/inline ${(out.main_ms_per_mib_worker / out.main_ms_per_mib_inline).toFixed(2)}x`,
  );
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  await server.close();
}
