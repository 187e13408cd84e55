import { afterEach, describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import { PduChannel, PduChannelError } from '../../src/index.node.js';
import { connectWeriftPeers, createWeriftPeer, weriftAssociation } from '../../src/node/werift-peer.js';
import { messageBytes, verifyMessage } from '../support/workload.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** A peer factory that remembers what it made, for `stripes.createPeer`. */
function peerFactory(): { made: RTCPeerConnection[]; createPeer: () => Promise<RTCPeerConnection> } {
  const made: RTCPeerConnection[] = [];
  cleanup.push(() => Promise.all(made.map((pc) => pc.close())));
  return {
    made,
    createPeer: async () => {
      const pc = await createWeriftPeer();
      made.push(pc);
      return pc;
    },
  };
}

async function firstConnection(): Promise<[RTCPeerConnection, RTCPeerConnection]> {
  const pcs: [RTCPeerConnection, RTCPeerConnection] = [await createWeriftPeer(), await createWeriftPeer()];
  cleanup.push(() => Promise.all(pcs.map((pc) => pc.close())));
  return pcs;
}

/** Counts the DATA chunks each peer connection's SCTP association sends from now on. */
function countChunks(pcs: RTCPeerConnection[]): Array<{ n: number }> {
  return pcs.map((pc) => {
    const association = weriftAssociation(pc)!;
    const send = association.sendChunk.bind(association);
    const count = { n: 0 };
    association.sendChunk = (chunk) => {
      if (chunk.userData !== undefined) count.n++;
      return send(chunk);
    };
    return count;
  });
}

async function exchange(from: PduChannel, to: PduChannel, sizes: number[]): Promise<number> {
  let good = 0;
  const allIn = new Promise<void>((resolve) => {
    to.on('message', ({ data }) => {
      if (verifyMessage(data, (i) => sizes[i]) >= 0) good++;
      if (good === sizes.length) resolve();
    });
  });
  await Promise.all(sizes.map((size, i) => from.send(messageBytes(i, size))));
  await allIn;
  return good;
}

describe('PduChannel stripes: extra peer connections negotiated in band', () => {
  it('opens, negotiates and uses every stripe both ways, and closes what it opened', async () => {
    const [pa, pb] = await firstConnection();
    const fa = peerFactory();
    const fb = peerFactory();
    const opening = [PduChannel.open(pa, { stripes: { count: 3, createPeer: fa.createPeer } }), PduChannel.open(pb, { stripes: { count: 3, createPeer: fb.createPeer } })];
    await connectWeriftPeers(pa, pb);
    const [a, b] = (await Promise.all(opening)) as [PduChannel, PduChannel];
    cleanup.push(() => Promise.all([a.close(), b.close()]));
    expect(a.sas).toBe(b.sas);
    expect(fa.made).toHaveLength(2);
    expect(fb.made).toHaveLength(2);
    for (const pc of [...fa.made, ...fb.made]) expect(pc.connectionState).toBe('connected');
    expect(a.stripeSignalsDropped).toBe(0);

    const sentByA = countChunks([pa, ...fa.made]);
    const sentByB = countChunks([pb, ...fb.made]);
    const sizes = Array.from({ length: 60 }, (_, i) => 800 + ((i * 7919) % 30_000));
    expect(await exchange(a, b, sizes)).toBe(60);
    expect(await exchange(b, a, sizes)).toBe(60);
    // Each side spread its datagrams over its three connections.
    for (const count of [...sentByA, ...sentByB]) expect(count.n).toBeGreaterThan(0);

    await a.close();
    await b.close();
    for (const pc of [...fa.made, ...fb.made]) await expect.poll(() => pc.connectionState, { timeout: 5000 }).toBe('closed');
    // The connection the application made stays the application's.
    expect(pa.connectionState).toBe('connected');
  }, 60_000);

  it('uses the smaller count when the two sides ask for different ones (one side inline)', async () => {
    const [pa, pb] = await firstConnection();
    const fa = peerFactory();
    const fb = peerFactory();
    const opening = [
      PduChannel.open(pa, { stripes: { count: 4, createPeer: fa.createPeer }, trace: { maxEvents: 10_000 } }),
      PduChannel.open(pb, { stripes: { count: 2, createPeer: fb.createPeer }, worker: false }),
    ];
    await connectWeriftPeers(pa, pb);
    const [a, b] = (await Promise.all(opening)) as [PduChannel, PduChannel];
    cleanup.push(() => Promise.all([a.close(), b.close()]));
    expect(fa.made).toHaveLength(1);
    expect(fb.made).toHaveLength(1);
    expect([a.stripeCount, b.stripeCount]).toEqual([2, 2]);
    expect(await exchange(a, b, Array.from({ length: 20 }, () => 20_000))).toBe(20);
    const lanes = new Set(
      (await a.exportTrace())
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { event: string; lane?: number })
        .filter((r) => r.event === 'sent')
        .map((r) => r.lane),
    );
    expect([...lanes].sort()).toEqual([0, 1]);
  }, 60_000);

  it('drops and counts malformed control messages, and agrees on one stripe with a peer that wants one', async () => {
    const [pa, pb] = await firstConnection();
    const fa = peerFactory();
    const opening = PduChannel.open(pa, { stripes: { count: 3, createPeer: fa.createPeer } });
    // The other side speaks the control protocol by hand: junk first, then "one stripe", then a
    // signal for a stripe nobody agreed on; its PDU channel is an ordinary one.
    const control = pb.createDataChannel('pdu-stripes', { negotiated: true, id: 1001, ordered: true });
    const plain = PduChannel.open(pb);
    await connectWeriftPeers(pa, pb);
    await new Promise<void>((resolve) => (control.readyState === 'open' ? resolve() : control.stateChanged.subscribe((s) => s === 'open' && resolve())));
    const junk = [
      'not json',
      '[]',
      JSON.stringify({ type: 'stripes', count: 0 }),
      JSON.stringify({ type: 'stripes', count: 1e9 }),
      JSON.stringify({ type: 'candidate', candidate: { candidate: 'x' }, stripe: 1 }),
      JSON.stringify({ type: 'description', description: { type: 'offer', sdp: 'v=0' }, stripe: -1 }),
      JSON.stringify({ type: 'description', description: { type: 'offer', sdp: 'v=0' }, stripe: 99 }),
      `"${'x'.repeat(65_534)}"`,
    ];
    for (const text of junk) control.send(text);
    control.send(JSON.stringify({ type: 'stripes', count: 1 }));
    control.send(JSON.stringify({ type: 'bye', stripe: 2 }));
    const [a, b] = await Promise.all([opening, plain]);
    cleanup.push(() => Promise.all([a.close(), b.close()]));
    expect(fa.made).toHaveLength(0);
    expect([a.stripeCount, b.stripeCount]).toEqual([1, 1]);
    expect(a.stripeSignalsDropped).toBeGreaterThanOrEqual(junk.length);
    expect(await exchange(a, b, [5000, 50_000])).toBe(2);
  }, 60_000);

  it("fails open at once, and cleanly, when the peer says bye to a stripe while it is being offered", async () => {
    const [pa, pb] = await firstConnection();
    const fa = peerFactory();
    // a offers the first connection, so it offers the extra one too; the other side, by hand,
    // agrees to two stripes and then gives the second up at once.
    const striped = PduChannel.open(pa, { stripes: { count: 2, createPeer: fa.createPeer }, openTimeoutMs: 20_000 });
    const control = pb.createDataChannel('pdu-stripes', { negotiated: true, id: 1001, ordered: true });
    await connectWeriftPeers(pa, pb);
    await new Promise<void>((resolve) => (control.readyState === 'open' ? resolve() : control.stateChanged.subscribe((s) => s === 'open' && resolve())));
    control.send(JSON.stringify({ type: 'stripes', count: 2 }));
    control.send(JSON.stringify({ type: 'bye', stripe: 1 }));
    const err = await striped.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PduChannelError);
    expect((err as PduChannelError).code).toBe('handshake-failed');
    expect(fa.made).toHaveLength(1);
    await expect.poll(() => fa.made[0]!.connectionState).toBe('closed');
  }, 10_000);

  it('a side whose setup fails tells the other, which fails at once rather than at its timeout', async () => {
    const [pa, pb] = await firstConnection();
    const fa = peerFactory();
    const opening = [
      PduChannel.open(pa, { stripes: { count: 3, createPeer: fa.createPeer }, openTimeoutMs: 20_000 }),
      PduChannel.open(pb, {
        stripes: { count: 3, createPeer: () => Promise.reject(new Error('no more peer connections here')) },
        openTimeoutMs: 20_000,
      }),
    ];
    await connectWeriftPeers(pa, pb);
    const [a, b] = await Promise.all(opening.map((o) => o.catch((e: unknown) => e)));
    expect(b).toBeInstanceOf(PduChannelError);
    expect((b as Error).message).toMatch(/no more peer connections/);
    expect(a).toBeInstanceOf(PduChannelError);
    expect((a as PduChannelError).code).toBe('handshake-failed');
    for (const pc of fa.made) await expect.poll(() => pc.connectionState).toBe('closed');
  }, 10_000);

  it('fails open with a typed error when the peer never answers the stripe setup', async () => {
    const [pa, pb] = await firstConnection();
    const fa = peerFactory();
    const striped = PduChannel.open(pa, { stripes: { count: 2, createPeer: fa.createPeer }, openTimeoutMs: 2000 });
    const plain = PduChannel.open(pb, { openTimeoutMs: 2000 });
    await connectWeriftPeers(pa, pb);
    const err = await striped.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PduChannelError);
    expect((err as PduChannelError).code).toBe('handshake-failed');
    expect((err as PduChannelError).message).toMatch(/stripe/);
    expect(fa.made).toHaveLength(0);
    await expect(plain).rejects.toMatchObject({ code: 'handshake-failed' });
  }, 30_000);

  for (const duplicateRetransmissions of [undefined, false] as const) {
    it(`striped, resends go twice where a second round is likely ${duplicateRetransmissions === undefined ? "by default ('auto')" : 'unless turned off'}`, async () => {
      const [pa, pb] = await firstConnection();
      const fa = peerFactory();
      const fb = peerFactory();
      // Loopback's RTT is a millisecond or two, so any queue reads as full queueing pressure,
      // which stops 'auto' (duplicateMaxQueueing); the bound is lifted to see the default itself.
      const recovery = { recovery: { duplicateMaxQueueing: 1, ...(duplicateRetransmissions === undefined ? {} : { duplicateRetransmissions }) } };
      const opening = [
        PduChannel.open(pa, { stripes: { count: 2, createPeer: fa.createPeer }, ...recovery }),
        PduChannel.open(pb, { stripes: { count: 2, createPeer: fb.createPeer }, ...recovery }),
      ];
      await connectWeriftPeers(pa, pb);
      const [a, b] = (await Promise.all(opening)) as [PduChannel, PduChannel];
      cleanup.push(() => Promise.all([a.close(), b.close()]));
      // Every 8th of a's datagrams is dropped below SCTP on both connections: at 12.5% loss a
      // 40 KB message (about 36 fragments) needs a second round far more often than 1 in 100.
      for (const pc of [pa, ...fa.made]) {
        const association = weriftAssociation(pc)!;
        const send = association.sendChunk.bind(association);
        let n = 0;
        association.sendChunk = (chunk) => (chunk.userData !== undefined && ++n % 8 === 0 ? Promise.resolve() : send(chunk));
      }
      const sizes = Array.from({ length: 24 }, () => 40_000);
      let good = 0;
      b.on('message', ({ data }) => void (verifyMessage(data, (i) => sizes[i]) >= 0 && good++));
      for (let i = 0; i < sizes.length; i++) await a.send(messageBytes(i, sizes[i]!));
      await expect.poll(() => good).toBe(sizes.length);
      const duplicating = (await a.stats()).sharding.messagesDuplicatingResends;
      if (duplicateRetransmissions === undefined) expect(duplicating).toBeGreaterThan(0);
      else expect(duplicating).toBe(0);
    }, 60_000);
  }

  it('rejects bad stripe options with invalid-argument', async () => {
    const pc = await createWeriftPeer();
    cleanup.push(() => pc.close());
    const createPeer = () => createWeriftPeer();
    for (const count of [0, 1.5, 17, Number.NaN]) {
      await expect(PduChannel.open(pc, { stripes: { count, createPeer } })).rejects.toMatchObject({ code: 'invalid-argument' });
    }
    await expect(PduChannel.open(pc, { stripes: { count: 2, createPeer: 'no' as never } })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(PduChannel.open([pc, pc], { stripes: { count: 2, createPeer } })).rejects.toMatchObject({ code: 'invalid-argument' });
    await expect(PduChannel.open(pc, { channelId: 65_534, stripes: { count: 2, createPeer } })).rejects.toMatchObject({ code: 'invalid-argument' });
  });
});
