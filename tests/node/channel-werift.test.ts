import { afterEach, describe, expect, it } from 'vitest';
import type { RTCPeerConnection } from 'werift';
import { PduChannel, PduChannelError, PduHost } from '../../src/index.node.js';
import { connectWeriftPeers, createWeriftPeer, patchWeriftAbandon, weriftAssociation } from '../../src/node/werift-peer.js';
import { adaptWeriftDataChannel } from '../../src/node/werift-datachannel.js';
import { StripedChannel } from '../../src/transport/striped-channel.js';
import type { Worker } from 'node:worker_threads';
import { spawnNodeWorker, wrapNodeWorker } from '../../src/host/node-worker.js';
import { messageBytes, mixedSizes, verifyMessage } from '../support/workload.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Two werift peers with a PduChannel each, connected in this process. */
async function channelPair(options: Parameters<typeof PduChannel.open>[1] = {}): Promise<{ a: PduChannel; b: PduChannel; pcs: RTCPeerConnection[] }> {
  const pcs = [await createWeriftPeer(), await createWeriftPeer()];
  cleanup.push(() => Promise.all(pcs.map((pc) => pc.close())));
  const opening = pcs.map((pc) => PduChannel.open(pc, options));
  await connectWeriftPeers(pcs[0]!, pcs[1]!);
  const [a, b] = await Promise.all(opening);
  cleanup.push(() => Promise.all([a!.close(), b!.close()]));
  return { a: a!, b: b!, pcs };
}

/** Sends `sizes.length` workload messages a -> b, at most `window` unacknowledged at a time. */
async function transfer(a: PduChannel, b: PduChannel, sizes: number[], window = 32): Promise<{ received: Set<number>; corrupt: number }> {
  const received = new Set<number>();
  let corrupt = 0;
  const allIn = new Promise<void>((resolve) => {
    b.on('message', ({ data }) => {
      const index = verifyMessage(data, (i) => sizes[i]);
      if (index < 0 || received.has(index)) corrupt++;
      else received.add(index);
      if (received.size === sizes.length) resolve();
    });
  });
  let next = 0;
  const worker = async () => {
    while (next < sizes.length) {
      const i = next++;
      await a.send(messageBytes(i, sizes[i]!));
    }
  };
  await Promise.all(Array.from({ length: window }, worker));
  await allIn;
  return { received, corrupt };
}

describe('PduChannel between two werift peers', () => {
  it('delivers 1,000 messages of mixed sizes up to 1 MiB byte-identical, engine in worker_threads', async () => {
    const { a, b } = await channelPair();
    expect(a.sas).toMatch(/^\S+$/);
    expect(a.sas).toBe(b.sas);
    const sizes = mixedSizes(1000, 7);
    const { received, corrupt } = await transfer(a, b, sizes);
    expect(corrupt).toBe(0);
    expect(received.size).toBe(1000);
    const stats = await a.stats();
    expect(stats.messages.delivered).toBe(1000);
  }, 180_000);

  it('recovers datagrams dropped below PDU with its own retransmissions (inline engine)', async () => {
    // On loopback the RTT is a millisecond or two, so the time threshold (9/8 of it) would often
    // beat the ACK that proves a drop on its lane; eight RTTs leave that race to the lane rule.
    const { a, b, pcs } = await channelPair({ worker: false, recovery: { timeThreshold: 8 } });
    // Drop 5% of PDU's datagrams inside werift, below SCTP: the channel never retransmits them.
    const association = weriftAssociation(pcs[0]!)!;
    const send = association.sendChunk.bind(association);
    let n = 0;
    let largest = 0;
    association.sendChunk = (chunk) => {
      if (chunk.userData === undefined) return send(chunk);
      largest = Math.max(largest, chunk.userData.length);
      return ++n % 20 === 0 ? Promise.resolve() : send(chunk);
    };
    const sizes = Array.from({ length: 200 }, (_, i) => 500 + ((i * 997) % 20_000));
    const { received, corrupt } = await transfer(a, b, sizes, 16);
    expect(corrupt).toBe(0);
    expect(received.size).toBe(200);
    const stats = await a.stats();
    const retx = stats.recovery.retransmissions;
    expect(retx.predictive + retx.timeout).toBeGreaterThan(0);
    // The lone channel is one FIFO lane: drops are found from later datagrams on it, and none
    // of those findings is undone by a late arrival.
    expect(retx.lane).toBeGreaterThan(0);
    expect(stats.recovery.untrustedLanes).toBe(0);
    // One connection: resends go once by default.
    expect(stats.sharding.messagesDuplicatingResends).toBe(0);
    // werift's own chunk size: full datagrams fill one 1,200-byte DATA chunk each.
    expect(largest).toBe(1200);
  }, 120_000);

  it('stripes datagrams over several peer connections to the same peer, and recovers what one drops', async () => {
    const stripes = 3;
    const sides = [[], []] as RTCPeerConnection[][];
    for (const side of sides) for (let i = 0; i < stripes; i++) side.push(await createWeriftPeer());
    cleanup.push(() => Promise.all(sides.flat().map((pc) => pc.close())));
    // As above, and the lossy connection carries little (its SCTP window shrinks), so the packet
    // count of the other two would find most drops first: both thresholds are set far out, so
    // that the lane rule shows whether the worker and the host kept each datagram's lane.
    const opening = sides.map((pcs) => PduChannel.open(pcs, { recovery: { timeThreshold: 8, packetThreshold: 60 }, trace: { maxEvents: 100_000 } }));
    for (let i = 0; i < stripes; i++) await connectWeriftPeers(sides[0]![i]!, sides[1]![i]!);
    const [a, b] = (await Promise.all(opening)) as [PduChannel, PduChannel];
    cleanup.push(() => Promise.all([a.close(), b.close()]));
    expect(a.sas).toBe(b.sas);
    // Count PDU's datagrams on each of a's associations; the first drops every 10th, below SCTP.
    const sent = sides[0]!.map((pc, i) => {
      const association = weriftAssociation(pc)!;
      const send = association.sendChunk.bind(association);
      const count = { n: 0 };
      association.sendChunk = (chunk) => {
        if (chunk.userData === undefined) return send(chunk);
        return ++count.n % 10 === 0 && i === 0 ? Promise.resolve() : send(chunk);
      };
      return count;
    });
    const sizes = Array.from({ length: 150 }, (_, i) => 500 + ((i * 7919) % 40_000));
    const { received, corrupt } = await transfer(a, b, sizes, 16);
    expect(corrupt).toBe(0);
    expect(received.size).toBe(150);
    // Every connection carried its part; how much depends on its SCTP window (the lossy one's is
    // smaller), since each datagram goes where the window has the most room.
    const total = sent.reduce((sum, c) => sum + c.n, 0);
    for (const c of sent) expect(c.n).toBeGreaterThan(0);
    expect(total).toBeGreaterThan(150);
    const stats = await a.stats();
    expect(stats.recovery.retransmissions.timeout + stats.recovery.retransmissions.predictive).toBeGreaterThan(0);
    // The worker picked each datagram's connection (its lane) from the host's reports: every
    // connection carried sealed datagrams named for it. The host sent each where it was named:
    // no datagram the lane rule declared lost arrived after all (which werift's FIFO
    // associations guarantee only if the lanes are true).
    const lanes = new Set((await a.exportTrace()).trim().split('\n').map((l) => (JSON.parse(l) as { event: string; lane?: number })).filter((r) => r.event === 'sent').map((r) => r.lane));
    expect([...lanes].filter((l) => l !== undefined).sort()).toEqual([0, 1, 2]);
    expect(stats.recovery.untrustedLanes).toBe(0);
  }, 120_000);

  it('runs over a DatagramChannel the application made and adapted itself (overChannel), one channel or two striped', async () => {
    for (const stripes of [1, 2]) {
      const sides = [[], []] as RTCPeerConnection[][];
      for (const side of sides) for (let i = 0; i < stripes; i++) side.push(await createWeriftPeer());
      cleanup.push(() => Promise.all(sides.flat().map((pc) => pc.close())));
      // The application's own channel, not PDU's default id or label.
      const adapted = sides.map((pcs) =>
        pcs.map((pc) => {
          patchWeriftAbandon(pc);
          return adaptWeriftDataChannel(pc, pc.createDataChannel('app-datagrams', { negotiated: true, id: 7, ordered: false, maxRetransmits: 0 }));
        }),
      );
      const joined = adapted.map((list) => (list.length === 1 ? list[0]! : new StripedChannel(list)));
      const opening = [PduChannel.overChannel(joined[0]!, { role: 'initiator', worker: stripes === 1 }), PduChannel.overChannel(joined[1]!, { role: 'responder' })];
      for (let i = 0; i < stripes; i++) await connectWeriftPeers(sides[0]![i]!, sides[1]![i]!);
      const [a, b] = (await Promise.all(opening)) as [PduChannel, PduChannel];
      cleanup.push(() => Promise.all([a.close(), b.close()]));
      expect(a.sas).toBe(b.sas);
      expect([a.stripeCount, b.stripeCount]).toEqual([stripes, stripes]);
      const sizes = Array.from({ length: 60 }, (_, i) => 200 + ((i * 4099) % 30_000));
      const { received, corrupt } = await transfer(a, b, sizes, 8);
      expect(corrupt).toBe(0);
      expect(received.size).toBe(60);
      // It went over the application's channel(s): nothing opened PDU's default one.
      expect(sides.flat().map((pc) => Object.keys(pc.sctpTransport?.dataChannels ?? {}))).toEqual(Array(2 * stripes).fill(['7']));
      // Each lane tells its backlog from werift's own queue: everything sent has left by now, and
      // what was sent is what the sending side's channels were handed.
      for (let lane = 0; lane < stripes; lane++) {
        const backlog = () => joined[0]!.laneBacklog!(lane)!;
        // A probe or an ACK may still be leaving: give werift's queue a moment.
        for (let t = 0; t < 100 && backlog().departedBytes < backlog().knownBytes; t++) await new Promise((r) => setTimeout(r, 20));
        expect(backlog().knownBytes).toBeGreaterThan(0);
        expect(backlog().departedBytes).toBe(backlog().knownBytes);
        expect(backlog().room).toBeTypeOf('number');
      }
      expect(joined[0]!.laneBacklog!(stripes)).toBeUndefined();
    }
  }, 120_000);

  it('rejects with typed errors: oversize message, send after close', async () => {
    const { a } = await channelPair({ worker: false, limits: { maxMessageBytes: 64 * 1024 } });
    await expect(a.send(new Uint8Array(64 * 1024 + 1))).rejects.toMatchObject({ code: 'too-large' });
    await a.close();
    await expect(a.send(new Uint8Array(10))).rejects.toBeInstanceOf(PduChannelError);
    await expect(a.send(new Uint8Array(10))).rejects.toMatchObject({ code: 'closed' });
  }, 60_000);

  it('fails pending sends with a typed error when the peer vanishes', async () => {
    const { a, pcs } = await channelPair({ worker: false, timers: { idleTimeoutMs: 3000 } });
    await a.send(new Uint8Array(1000)); // works while the peer is there
    await pcs[1]!.close(); // the peer disappears without a PDU close
    const pending = a.send(new Uint8Array(100_000));
    await expect(pending).rejects.toBeInstanceOf(PduChannelError);
    await expect(pending).rejects.toMatchObject({ code: expect.stringMatching(/^(closed|expired)$/) });
  }, 60_000);

  it('a worker killed mid-transfer fails its channels clearly; the host then serves new channels', async () => {
    const threads: Worker[] = [];
    const host = new PduHost({
      maxWorkers: 1, // both peers' sessions on the one worker that gets killed
      createWorker: () => {
        const thread = spawnNodeWorker();
        threads.push(thread);
        return wrapNodeWorker(thread);
      },
    });
    cleanup.push(() => host.terminate());
    const first = await channelPair({ host });
    const errors: PduChannelError[] = [];
    first.a.on('error', (e) => errors.push(e));
    const sends = Array.from({ length: 20 }, (_, i) => first.a.send(messageBytes(i, 200_000)).then(() => 'ok', (e: PduChannelError) => e.code));
    await new Promise((r) => setTimeout(r, 50));
    await threads[0]!.terminate(); // from outside the host, as a crash would
    const outcomes = await Promise.all(sends);
    expect(outcomes.filter((o) => o !== 'ok').every((o) => o === 'worker-failed')).toBe(true);
    expect(outcomes).toContain('worker-failed');
    expect(first.a.closed).toBe(true);
    expect(errors.some((e) => e.code === 'worker-failed')).toBe(true);

    const second = await channelPair({ host });
    const { received } = await transfer(second.a, second.b, [1000, 2000, 3000]);
    expect(received.size).toBe(3);
    expect(threads.length).toBe(2);
  }, 120_000);
});

