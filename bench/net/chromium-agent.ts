/**
 * bench:net peer in Chromium, started inside one namespace of the emulator (NetemTopology.spawnNode):
 * this Node process serves the project with Vite on the namespace's own loopback, launches
 * headless Chromium (which inherits the namespace, so its WebRTC traffic takes the emulated link)
 * and relays protocol.ts commands to bench/net/page.ts. `serveSignaling` runs here, in Node.
 */
import { existsSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { createServer } from 'vite';
import { startSignalingServer, type SignalingServer } from '../../src/signaling/server.js';
import { CHROMIUM_ARGS } from '../../tests/support/chromium.js';
import { serveCommands, write } from './agent-loop.js';
import type { AgentCommand } from './protocol.js';

const side = process.argv[2] ?? 'x';
const port = Number(process.argv[3] ?? 5199);
const root = fileURLToPath(new URL('../..', import.meta.url));

// Middleware mode, behind our own HTTP server: a listening Vite server exits the process when
// stdin ends, which is how the harness tells this agent to stop, and so killed Chromium before
// it had closed (each kill left a lock folder in /tmp).
const vite = await createServer({
  root,
  logLevel: 'warn',
  clearScreen: false,
  // Each namespace's server pre-bundles into its own cache: two servers never write one folder.
  cacheDir: join(tmpdir(), `pdu-bench-net-vite-${side}`),
  server: { middlewareMode: true, hmr: false, watch: null },
  optimizeDeps: { entries: ['bench/net/page.html', 'worker/pdu-worker.ts'] },
});
const http = createHttpServer(vite.middlewares);
await new Promise<void>((resolve, reject) => http.once('error', reject).listen(port, '127.0.0.1', resolve));

const executablePath = process.env.CHROMIUM_PATH ?? (existsSync('/usr/bin/chromium') ? '/usr/bin/chromium' : undefined);
const browser = await chromium.launch({ headless: true, ...(executablePath ? { executablePath } : {}), args: CHROMIUM_ARGS });
const page = await browser.newPage();
page.on('pageerror', (err) => write({ log: `pageerror: ${err.message}` }));
page.on('console', (msg) => {
  if (msg.type() === 'error' || msg.type() === 'warning') write({ log: `console.${msg.type()}: ${msg.text()}` });
});
await page.goto(`http://127.0.0.1:${port}/bench/net/page.html`);
await page.waitForFunction(() => 'benchPeer' in globalThis, undefined, { timeout: 60_000 });

let server: SignalingServer | undefined;

async function handle(command: AgentCommand): Promise<unknown> {
  if (command.cmd === 'serveSignaling') {
    server ??= await startSignalingServer({ host: command.host });
    return { url: server.url };
  }
  return page.evaluate((c) => (globalThis as unknown as { benchPeer: { handle(c: unknown): Promise<unknown> } }).benchPeer.handle(c), command);
}

serveCommands(handle, async () => {
  await browser.close().catch(() => undefined);
  await vite.close().catch(() => undefined);
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await server?.close();
});
write({ ready: true, stack: `chromium ${browser.version()}` });
