// `npm run demo`: serves the demo page with Vite and runs the WebSocket signaling server beside
// it, then prints where to go. Both listen on 127.0.0.1 unless `--host 0.0.0.0` opens them to
// other machines (the two-machine mode). The page reaches the signaling server through Vite's
// own port (a proxied /pdu-signal path), so a second machine needs only the page's URL.
import { existsSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createServer } from 'vite';
import { startSignalingServer } from '../src/signaling/server.js';

const USAGE = `usage: npm run demo -- [--host 127.0.0.1|0.0.0.0] [--port 5173] [--signal-port 8787]`;

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '5173' },
    'signal-port': { type: 'string', default: '8787' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
const host = values.host;
const port = Number(values.port);
const signalPort = Number(values['signal-port']);

const root = fileURLToPath(new URL('..', import.meta.url));
if (!existsSync(new URL('../wasm/build/pdu-core.wasm', import.meta.url))) {
  console.warn('demo: wasm/build/pdu-core.wasm is missing (npm run build:wasm); the page falls back to the TypeScript core');
}

const signaling = await startSignalingServer({ host, port: signalPort });
const vite = await createServer({
  root,
  configFile: `${root}vite.config.ts`,
  logLevel: 'warn',
  server: {
    host,
    port,
    proxy: { '/pdu-signal': { target: `ws://127.0.0.1:${signaling.port}`, ws: true } },
  },
});
await vite.listen();

const pageHosts = host === '0.0.0.0' ? ['127.0.0.1', ...lanAddresses()] : [host];
console.log(`PDU demo: http://${pageHosts[0]}:${port}/`);
for (const other of pageHosts.slice(1)) console.log(`      from another machine: http://${other}:${port}/`);
console.log(`signaling server: ws://${pageHosts.at(-1)}:${signaling.port} (pages reach it through /pdu-signal)`);
console.log(`a Node peer: npm run pdu -- peer --room NAME --signal ws://${pageHosts.at(-1)}:${signaling.port}`);
if (host !== '0.0.0.0') console.log('two machines: npm run demo -- --host 0.0.0.0');
console.log('Ctrl-C stops both.');

const stop = async () => {
  await Promise.all([vite.close(), signaling.close()]);
  process.exit(0);
};
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());

function lanAddresses(): string[] {
  return Object.values(networkInterfaces())
    .flat()
    .filter((a) => a !== undefined && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
}
