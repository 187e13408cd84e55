/**
 * Entry point of the router process: `node router-main.js '<RouterOptions JSON>'` (through tsx
 * from source). Speaks control-protocol.ts on stdin/stdout and exits when stdin closes, so a
 * router never outlives the process that started it.
 */
import { createInterface } from 'node:readline';
import type { ControlRequest, ControlResponse, ReadyLine } from './control-protocol.js';
import { NetemRouter, type RouterOptions } from './router.js';

const options = JSON.parse(process.argv[2] ?? '{}') as RouterOptions;
const router = await NetemRouter.start(options).catch((err: unknown) => {
  // One line for the owner's error message (a bad spec, a missing trace), not a stack trace.
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
const write = (line: ReadyLine | ControlResponse) => process.stdout.write(`${JSON.stringify(line)}\n`);
write({ ready: true, ports: router.ports });

const lines = createInterface({ input: process.stdin });
lines.on('line', (text) => {
  let request: ControlRequest;
  try {
    request = JSON.parse(text) as ControlRequest;
  } catch {
    process.stderr.write(`netem router: ignoring a control line that is not JSON: ${text.slice(0, 200)}\n`);
    return;
  }
  try {
    if (request.op === 'configure') {
      router.configure(request.direction, request.spec);
      write({ id: request.id, ok: true });
    } else if (request.op === 'counters') {
      write({ id: request.id, ok: true, counters: router.counters() });
    } else {
      write({ id: (request as { id: number }).id, ok: false, error: `unknown op ${JSON.stringify((request as { op: unknown }).op)}` });
    }
  } catch (err) {
    write({ id: request.id, ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
lines.on('close', () => {
  router.close();
  process.exit(0);
});
