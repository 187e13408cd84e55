// The worker side without a thread: WorkerRuntime over an in-memory port, the reference core.
import { describe, expect, it } from 'vitest';
import { referenceCore } from '../../src/core/index.js';
import type { HostToWorker, WorkerToHost } from '../../worker/protocol.js';
import { WorkerRuntime } from '../../worker/worker-runtime.js';

function runtime() {
  const posted: WorkerToHost[] = [];
  let deliver: (message: HostToWorker) => void = () => undefined;
  new WorkerRuntime(
    {
      post: (message) => posted.push(message),
      onMessage: (handler) => (deliver = handler),
    },
    Promise.resolve({ core: referenceCore }),
  );
  return { posted, send: (message: HostToWorker) => deliver(message) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('WorkerRuntime', () => {
  it('stops a disposed session: no more output, its timers gone, requests for it unanswered', async () => {
    const w = runtime();
    await sleep(0); // the core promise settles
    const open = (session: number): HostToWorker => ({
      type: 'open',
      session,
      options: { role: 'initiator', timers: { handshakeTimeoutMs: 60_000, handshakeRetryMs: 200, handshakeRetryMaxMs: 200 } },
      highWaterBytes: 64 * 1024,
      core: 'reference',
    });
    w.send(open(1));
    w.send(open(2));
    w.send({ type: 'channel-state', session: 1, open: true, queuedBytes: 0, highWaterBytes: 64 * 1024 });
    w.send({ type: 'channel-state', session: 2, open: true, queuedBytes: 0, highWaterBytes: 64 * 1024 });
    const outputs = (session: number) => w.posted.filter((m) => m.type === 'output' && m.session === session);
    // Nobody answers: both sessions keep resending their HELLO on their own timers.
    for (let t = 0; t < 300 && (outputs(1).length === 0 || outputs(2).length === 0); t++) await sleep(10);
    expect(outputs(1).length).toBeGreaterThan(0);

    w.send({ type: 'dispose', session: 1 });
    const before = [outputs(1).length, outputs(2).length];
    w.send({ type: 'stats', session: 1, ticket: 7 });
    w.send({ type: 'stats', session: 2, ticket: 8 });
    await sleep(1500);
    expect(outputs(1).length).toBe(before[0]);
    // The other session on the same worker goes on: it answers, and its timer still resends.
    expect(outputs(2).length).toBeGreaterThan(before[1]! + 3);
    const replies = w.posted.flatMap((m) => (m.type === 'output' ? m.statsReplies.map((r) => r.ticket) : []));
    expect(replies).toEqual([8]);
    w.send({ type: 'dispose', session: 2 });
  });
});
