/**
 * The owner's side of the router process: starts router-main in a child process (in the owner's
 * network namespace, where the socats' loopback sockets are) and drives it over control-protocol.ts.
 * A separate process keeps forwarding off the owner's event loop, which may be busy measuring.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import type { ControlRequest, ControlResponse, ReadyLine } from './control-protocol.js';
import type { LinkSpec } from './link-spec.js';
import { nodeScriptArgs } from './node-script.js';
import type { Direction, RouterCounters, RouterOptions } from './router.js';

const ROUTER_MAIN = fileURLToPath(new URL(import.meta.url.endsWith('.ts') ? './router-main.ts' : './router-main.js', import.meta.url));

type Pending = { resolve: (response: ControlResponse) => void; reject: (err: Error) => void };

export class RouterProcess {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private exited: Error | undefined;

  private constructor(
    readonly child: ChildProcess,
    readonly ports: { a: number; b: number },
    lines: AsyncIterator<string>,
  ) {
    void this.readResponses(lines);
    // Writing to a router that just died fails with EPIPE; the exit handler below reports it.
    child.stdin!.on('error', () => undefined);
    child.once('exit', (code, signal) => {
      this.exited = new Error(`netem router exited (${signal ?? `code ${code}`})`);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  /** Starts the router and waits until its ports are bound (or it fails, with its stderr). */
  static async start(options: RouterOptions, timeoutMs = 10_000): Promise<RouterProcess> {
    const child = spawn(process.execPath, nodeScriptArgs(ROUTER_MAIN, [JSON.stringify(options)]), { stdio: ['pipe', 'pipe', 'pipe'] });
    const closed = new Promise((resolve) => child.once('close', resolve));
    let stderr = '';
    const collect = (chunk: Buffer) => (stderr += chunk.toString());
    child.stderr!.on('data', collect);
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const failed = (why: string) => new Error(`netem router did not start: ${stderr.trim() || why}`);
    try {
      const first = await new Promise<IteratorResult<string>>((resolve, reject) => {
        const timer = setTimeout(() => reject(failed(`no ready line within ${timeoutMs} ms`)), timeoutMs);
        child.once('error', (err) => reject(failed(err.message)));
        lines.next().then(resolve, reject).finally(() => clearTimeout(timer));
      });
      if (first.done) {
        await closed; // all of its stderr, which says why
        throw failed('it exited');
      }
      const ready = JSON.parse(first.value) as ReadyLine;
      // From now on the router's own warnings go straight to ours.
      child.stderr!.off('data', collect).on('data', (chunk: Buffer) => process.stderr.write(chunk));
      return new RouterProcess(child, ready.ports, lines);
    } catch (err) {
      child.kill('SIGKILL');
      throw err;
    }
  }

  /** Changes impairment while the router runs; rejects (changing nothing) on a bad spec. */
  async configure(direction: Direction | 'both', spec: LinkSpec): Promise<void> {
    await this.request({ id: 0, op: 'configure', direction, spec });
  }

  /** A snapshot of both directions' counters (IP packets and bytes). */
  async counters(): Promise<RouterCounters> {
    const response = await this.request({ id: 0, op: 'counters' });
    return (response as { counters: RouterCounters }).counters;
  }

  /** Asks the router to stop (it exits when its stdin ends); teardown SIGKILLs it instead. */
  close(): void {
    this.child.stdin!.end();
  }

  private request(request: ControlRequest): Promise<ControlResponse> {
    if (this.exited) return Promise.reject(this.exited);
    const id = this.nextId++;
    return new Promise<ControlResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.stdin!.write(`${JSON.stringify({ ...request, id })}\n`);
    }).then((response) => {
      if (!response.ok) throw new RangeError(`netem router: ${response.error}`);
      return response;
    });
  }

  private async readResponses(lines: AsyncIterator<string>): Promise<void> {
    for (let next = await lines.next(); !next.done; next = await lines.next()) {
      const response = JSON.parse(next.value) as ControlResponse;
      this.pending.get(response.id)?.resolve(response);
      this.pending.delete(response.id);
    }
  }
}
