// The router's forwarding and control without namespaces (no root needed): two UDP sockets on
// loopback stand in for the socats.
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { NetemRouter, RouterProcess, type RouterOptions } from '../../src/netem/index.js';
import { findTracesDir, loadPacketTrace } from '../../src/transport/trace-files.node.js';

const cleanup: Array<() => void> = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface FakeSocat {
  socket: Socket;
  port: number;
  /** Datagrams the router delivered to this side, with their arrival time. */
  got: Array<{ data: Buffer; at: number }>;
}

async function fakeSocat(): Promise<FakeSocat> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  const got: FakeSocat['got'] = [];
  socket.on('message', (data) => got.push({ data, at: performance.now() }));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  cleanup.push(() => socket.close());
  return { socket, port: socket.address().port, got };
}

async function routerBetween(options: Omit<RouterOptions, 'socatPortA' | 'socatPortB'> = {}) {
  const a = await fakeSocat();
  const b = await fakeSocat();
  const router = await NetemRouter.start({ socatPortA: a.port, socatPortB: b.port, ...options });
  cleanup.push(() => router.close());
  const send = (from: FakeSocat, data: Buffer) => from.socket.send(data, from === a ? router.ports.a : router.ports.b, '127.0.0.1');
  return { a, b, router, send };
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!condition() && Date.now() < end) await sleep(5);
}

const numbered = (i: number, size = 100) => {
  const data = Buffer.alloc(size);
  data.writeUInt32BE(i, 0);
  return data;
};

describe('netem router (in process)', () => {
  it('forwards each direction after its own delay and counts bytes', async () => {
    const { a, b, router, send } = await routerBetween({ aToB: { delayMs: 30 }, bToA: { delayMs: 10 } });
    const sentAt = performance.now();
    send(a, numbered(1, 300));
    send(b, numbered(2, 700));
    await until(() => a.got.length === 1 && b.got.length === 1, 2000);
    expect(b.got[0]!.data.readUInt32BE(0)).toBe(1);
    expect(a.got[0]!.data.readUInt32BE(0)).toBe(2);
    expect(b.got[0]!.at - sentAt).toBeGreaterThanOrEqual(30);
    expect(a.got[0]!.at - sentAt).toBeGreaterThanOrEqual(10);
    const counters = router.counters();
    expect(counters.aToB).toMatchObject({ offeredPackets: 1, offeredBytes: 300, deliveredPackets: 1, deliveredBytes: 300 });
    expect(counters.bToA).toMatchObject({ offeredPackets: 1, offeredBytes: 700, deliveredPackets: 1, deliveredBytes: 700 });
  });

  it('caps the rate with a bounded tail-drop queue', async () => {
    const { a, b, router, send } = await routerBetween({ aToB: { rateBitsPerSecond: 1e6, queueLimitBytes: 10_000 } });
    const start = performance.now();
    for (let i = 0; i < 100; i++) send(a, numbered(i, 1000));
    await until(() => router.counters().aToB.deliveredPackets + router.counters().aToB.droppedPackets === 100, 3000);
    await until(() => b.got.length === router.counters().aToB.deliveredPackets, 1000);
    const c = router.counters().aToB;
    expect(c.droppedPackets).toBeGreaterThan(50);
    expect(c.maxQueueBytes).toBeLessThanOrEqual(10_000);
    // 1000 bytes take 8 ms at 1 Mbit/s: the last one leaves no sooner than that many slots in.
    expect(b.got.at(-1)!.at - start).toBeGreaterThanOrEqual(8 * c.deliveredPackets - 1);
    expect(a.got).toHaveLength(0);
  });

  const tracesDir = findTracesDir();
  it.skipIf(!tracesDir)('replays a packet trace, one independent replay per direction', async () => {
    const { a, b, router, send } = await routerBetween();
    router.configure('both', { loss: 'trace:starlink_lens' });
    const trace = loadPacketTrace('starlink_lens', tracesDir!);
    const n = 900; // the trace's first losses are at 701 and 841-851
    for (let i = 0; i < n; i += 50) {
      for (let k = i; k < i + 50; k++) {
        send(a, numbered(k));
        send(b, numbered(k));
      }
      await sleep(5);
    }
    const expected = [...Array(n).keys()].filter((i) => trace.lost[i] === 0);
    await until(() => a.got.length === expected.length && b.got.length === expected.length, 5000);
    expect(b.got.map((g) => g.data.readUInt32BE(0))).toEqual(expected);
    expect(a.got.map((g) => g.data.readUInt32BE(0))).toEqual(expected);
    expect(router.counters().aToB.lostPackets).toBe(n - expected.length);
  });

  it('splits its counters by IP protocol, so a competing TCP flow can be told from WebRTC traffic', async () => {
    // A 10 kbit/s cap and a 300-byte queue (the packet on the wire counts): of three packets sent
    // back to back, the third finds no room and is tail-dropped.
    const { a, b, router, send } = await routerBetween({ aToB: { rateBitsPerSecond: 10_000, queueLimitBytes: 300 } });
    const ipv4 = (protocol: number, size: number) => {
      const packet = Buffer.alloc(size);
      packet[0] = 0x45;
      packet[9] = protocol;
      return packet;
    };
    send(a, ipv4(17, 120)); // UDP: on the wire at once
    send(a, ipv4(6, 150)); // TCP: queued behind it
    send(a, ipv4(6, 150)); // TCP: no room, dropped
    send(b, ipv4(1, 84)); // ICMP the other way
    await until(() => b.got.length === 2 && a.got.length === 1, 3000);
    const { aToB, bToA } = router.counters();
    expect(aToB.byProtocol.udp).toEqual({
      offeredPackets: 1,
      offeredBytes: 120,
      lostPackets: 0,
      droppedPackets: 0,
      largestPacketBytes: 120,
      packetsBySize: { 120: 1 },
    });
    expect(aToB.byProtocol.tcp).toEqual({
      offeredPackets: 2,
      offeredBytes: 300,
      lostPackets: 0,
      droppedPackets: 1,
      largestPacketBytes: 150,
      packetsBySize: { 150: 2 },
    });
    expect(bToA.byProtocol.other.offeredPackets).toBe(1);
    expect(aToB.droppedPackets).toBe(1);
  });

  it('ignores datagrams from anyone but its socats', async () => {
    const { b, router } = await routerBetween();
    const stranger = await fakeSocat();
    stranger.socket.send(numbered(9), router.ports.a, '127.0.0.1');
    await until(() => router.counters().foreignDatagrams === 1, 1000);
    await sleep(20);
    expect(router.counters().aToB.offeredPackets).toBe(0);
    expect(b.got).toHaveLength(0);
  });
});

describe('netem router process (control over its stdin/stdout)', () => {
  it('starts, changes impairment, reports counters, and stops when told', async () => {
    const a = await fakeSocat();
    const b = await fakeSocat();
    const router = await RouterProcess.start({ socatPortA: a.port, socatPortB: b.port });
    cleanup.push(() => router.child.kill('SIGKILL'));
    await router.configure('aToB', { loss: 'bern:1' });
    a.socket.send(numbered(1), router.ports.a, '127.0.0.1');
    b.socket.send(numbered(2), router.ports.b, '127.0.0.1');
    await until(() => a.got.length === 1, 2000);
    const counters = await router.counters();
    expect(counters.aToB).toMatchObject({ offeredPackets: 1, lostPackets: 1, lostBytes: 100, deliveredPackets: 0 });
    expect(counters.bToA).toMatchObject({ offeredPackets: 1, deliveredPackets: 1 });
    expect(counters.cpuMs).toBeGreaterThan(0);
    await expect(router.configure('bToA', { delayMs: -1 })).rejects.toThrow(/delayMs must be >= 0/);
    const exited = new Promise((resolve) => router.child.once('exit', resolve));
    router.close();
    expect(await exited).toBe(0);
    await expect(router.counters()).rejects.toThrow(/exited/);
  });

  it('fails to start with the reason in one line', async () => {
    await expect(RouterProcess.start({ socatPortA: 1, socatPortB: 2, aToB: { loss: 'trace:nope' } })).rejects.toThrow(
      /^netem router did not start: (unknown packet trace "nope"|.*traces folder)/,
    );
  });
});
