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

/** A W3C data channel stand-in: opens when told, records what is sent and whether it was closed. */
function fakeChannel() {
  const listeners = new Map<string, Array<(event?: unknown) => void>>();
  const channel = {
    label: 'pdu',
    readyState: 'connecting',
    binaryType: 'arraybuffer',
    bufferedAmount: 0,
    bufferedAmountLowThreshold: 0,
    sent: 0,
    closed: false,
    send() {
      channel.sent++;
    },
    close() {
      channel.closed = true;
    },
    addEventListener(type: string, listener: (event?: unknown) => void) {
      listeners.set(type, [...(listeners.get(type) ?? []), listener]);
    },
    openNow() {
      channel.readyState = 'open';
      for (const l of listeners.get('open') ?? []) l();
    },
  };
  return channel;
}

describe('WorkerRuntime, stripes moved into the worker', () => {
  const attach = (session: number, channel: unknown, stripe?: number): HostToWorker => ({
    type: 'attach-channel',
    session,
    channel,
    highWaterBytes: 64 * 1024,
    ...(stripe !== undefined ? { stripe } : {}),
  });
  const errors = (w: ReturnType<typeof runtime>, session: number) =>
    w.posted.filter((m): m is Extract<WorkerToHost, { type: 'session-error' }> => m.type === 'session-error' && m.session === session);
  const opened = (w: ReturnType<typeof runtime>, session: number) => w.posted.some((m) => m.type === 'channel-open' && m.session === session);

  it('joins the attached stripes into one channel, open once every stripe is, and sends over all of them', async () => {
    const w = runtime();
    await sleep(0);
    const stripes = [fakeChannel(), fakeChannel(), fakeChannel()];
    stripes.forEach((c, i) => w.send(attach(1, c, i)));
    stripes[0]!.openNow();
    await sleep(0);
    // Not joined yet: nothing says the set is complete.
    expect(opened(w, 1)).toBe(false);
    w.send({ type: 'stripes-attached', session: 1, count: 3 });
    stripes[1]!.openNow();
    await sleep(0);
    expect(opened(w, 1)).toBe(false);
    stripes[2]!.openNow();
    await sleep(0);
    expect(opened(w, 1)).toBe(true);
    w.send({ type: 'open', session: 1, options: { role: 'initiator', timers: { handshakeRetryMs: 20, handshakeRetryMaxMs: 20 } }, highWaterBytes: 64 * 1024, core: 'reference' });
    // The engine's HELLO and its retries go out on the stripes, none through the host.
    for (let t = 0; t < 200 && stripes.some((c) => c.sent === 0); t++) await sleep(10);
    expect(stripes.map((c) => c.sent > 0)).toEqual([true, true, true]);
    expect(w.posted.filter((m) => m.type === 'output' && m.datagrams.length > 0)).toHaveLength(0);
    w.send({ type: 'dispose', session: 1 });
    expect(errors(w, 1)).toHaveLength(0);
  });

  it('refuses a stripe out of range or attached twice, and an incomplete set; closes what it holds', async () => {
    const w = runtime();
    await sleep(0);
    const bad = fakeChannel();
    w.send(attach(2, bad, 99));
    expect(bad.closed).toBe(true);
    const first = fakeChannel();
    const twice = fakeChannel();
    w.send(attach(2, first, 0));
    w.send(attach(2, twice, 0));
    expect(twice.closed).toBe(true);
    expect(first.closed).toBe(false);
    // Two announced, one attached: the session fails and the stripe it held is closed.
    w.send({ type: 'stripes-attached', session: 2, count: 2 });
    expect(first.closed).toBe(true);
    expect(errors(w, 2).map((e) => e.message)).toEqual([
      expect.stringContaining('stripe 99'),
      expect.stringContaining('stripe 0'),
      expect.stringContaining('2 stripes announced, 1 attached'),
    ]);
    // Stripes of a session given up before they were joined are closed with it.
    const pending = fakeChannel();
    w.send(attach(3, pending, 0));
    w.send({ type: 'dispose', session: 3 });
    expect(pending.closed).toBe(true);
  });
});
