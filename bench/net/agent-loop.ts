/**
 * The agents' command loop: JSON-line requests on stdin, one answer per request on stdout
 * (protocol.ts). Requests run concurrently (a `send` and a `received` may overlap). The agent
 * exits when stdin ends, so it never outlives the orchestrator.
 */
import { createInterface } from 'node:readline';
import type { AgentCommand, AgentNotice, AgentRequest, AgentResponse } from './protocol.js';

export function write(line: AgentResponse | AgentNotice): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function serveCommands(handle: (command: AgentCommand) => Promise<unknown>, onEnd: () => Promise<void> | void): void {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (text) => {
    let request: AgentRequest;
    try {
      request = JSON.parse(text) as AgentRequest;
    } catch {
      write({ log: `ignored a line that is not JSON: ${text.slice(0, 200)}` });
      return;
    }
    handle(request).then(
      (result) => write({ id: request.id, ok: true, result: result ?? {} }),
      (err: unknown) => write({ id: request.id, ok: false, error: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
    );
  });
  lines.on('close', () => {
    void Promise.resolve(onEnd()).finally(() => process.exit(0));
  });
}
