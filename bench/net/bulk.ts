/**
 * The competing bulk flow of cap10-bulk-rtt50: one TCP connection across the emulated link that
 * sends as fast as TCP lets it (Linux's own congestion control fills the bottleneck queue).
 *   sink <host> <port>     accept and discard; prints {"listening": port}, then {"bytes": n} when stdin ends
 *   source <host> <port>   connect and write until stdin ends; prints {"connected": true}, then {"bytes": n}
 */
import { createConnection, createServer, type Socket } from 'node:net';

const [mode, host, portText] = process.argv.slice(2) as [string, string, string];
const out = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
let bytes = 0;
const stdinEnded = new Promise<void>((resolve) => process.stdin.on('end', resolve).on('close', resolve).resume());

if (mode === 'sink') {
  const server = createServer((socket) => {
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('error', () => undefined);
  });
  server.listen(Number(portText), host, () => out({ listening: (server.address() as { port: number }).port }));
  await stdinEnded;
  out({ bytes });
  process.exit(0);
} else if (mode === 'source') {
  const chunk = Buffer.alloc(64 * 1024, 0x5a);
  const socket: Socket = createConnection({ host, port: Number(portText) }, () => {
    out({ connected: true });
    const pump = () => {
      while (socket.write(chunk)) bytes += chunk.length;
      bytes += chunk.length;
    };
    socket.on('drain', pump);
    pump();
  });
  socket.on('error', (err) => out({ error: err.message }));
  await stdinEnded;
  out({ bytes });
  socket.destroy();
  process.exit(0);
} else {
  throw new Error(`bulk: unknown mode ${JSON.stringify(mode)}`);
}
