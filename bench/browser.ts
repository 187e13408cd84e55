// npm run bench:browser — in one Chromium page: 64 MiB through PDU (engine in a worker) and through
// a raw RTCDataChannel, and main-thread busy time per MiB with the engine in the worker and inline.
// Main-thread time is Chromium's own TaskDuration metric (DevTools Performance domain), which counts
// the page's main thread only. Run inside the project's network namespace (the npm script does).
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { existsSync } from 'node:fs';
import { CHROMIUM_ARGS } from '../tests/support/chromium.js';
import { median } from './stats.js';

const totalMiB = Number(process.argv.find((a) => a.startsWith('--mib='))?.slice(6) ?? 64);
const rounds = Number(process.argv.find((a) => a.startsWith('--rounds='))?.slice(9) ?? 3);

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
  const mainThreadSeconds = async () =>
    ((await cdp.send('Performance.getMetrics')).metrics.find((m) => m.name === 'TaskDuration')?.value ?? Number.NaN) as number;

  type Bench = { rawTransfer(mib: number, datagrams?: boolean): Promise<number>; pduTransfer(mib: number, worker: boolean): Promise<number> };
  type Kind = 'raw' | 'raw1150' | 'worker' | 'inline';
  const run = async (kind: Kind) => {
    const before = await mainThreadSeconds();
    const ms = await page.evaluate(
      ([k, mib]) => {
        const bench = (globalThis as unknown as { pduBench: Bench }).pduBench;
        return k === 'raw' || k === 'raw1150' ? bench.rawTransfer(mib, k === 'raw1150') : bench.pduTransfer(mib, k === 'worker');
      },
      [kind, totalMiB] as const,
    );
    const busyMs = ((await mainThreadSeconds()) - before) * 1000;
    if (process.env.PDU_BENCH_DEBUG && (kind === 'worker' || kind === 'inline')) console.log(JSON.stringify(await page.evaluate(() => (globalThis as Record<string, unknown>).pduLastStats)));
    return { mbS: (totalMiB * 1024 * 1024) / 1e6 / (ms / 1000), mainMsPerMib: busyMs / totalMiB };
  };

  const kinds: Kind[] = ['raw', 'raw1150', 'worker', 'inline'];
  const results = Object.fromEntries(kinds.map((k) => [k, { mbS: [] as number[], main: [] as number[] }]));
  for (let r = 0; r < rounds; r++) {
    for (const kind of kinds) {
      const { mbS, mainMsPerMib } = await run(kind);
      results[kind]!.mbS.push(mbS);
      results[kind]!.main.push(mainMsPerMib);
      console.log(`round ${r + 1} ${kind.padEnd(7)} ${mbS.toFixed(1).padStart(7)} MB/s   main thread ${mainMsPerMib.toFixed(2)} ms/MiB`);
    }
  }
  const out = {
    bench: 'browser',
    total_mib: totalMiB,
    rounds,
    pdu_mb_s: median(results.worker!.mbS),
    raw_mb_s: median(results.raw!.mbS),
    raw_1150_unreliable_mb_s: median(results.raw1150!.mbS),
    pdu_inline_mb_s: median(results.inline!.mbS),
    main_ms_per_mib_worker: median(results.worker!.main),
    main_ms_per_mib_inline: median(results.inline!.main),
    main_ms_per_mib_raw: median(results.raw!.main),
  };
  console.log(`PDU/raw throughput ${(out.pdu_mb_s / out.raw_mb_s).toFixed(2)}x; main thread worker/inline ${(out.main_ms_per_mib_worker / out.main_ms_per_mib_inline).toFixed(2)}x`);
  console.log(JSON.stringify(out));
} finally {
  await browser.close();
  await server.close();
}
