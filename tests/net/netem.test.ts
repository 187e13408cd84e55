// The link emulator end to end: real packets from one namespace to the other through the router.
// Needs root, ip and socat; elsewhere the suite skips with one line saying why.
import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { NETEM_ADDRESS, NetemTopology, netemUnavailableReason, type RouterCounters } from '../../src/netem/index.js';
import { nodeScriptArgs } from '../../src/netem/node-script.js';
import { ip, isRunning } from '../../src/netem/system.js';
import { ChildLines, type Line } from './child-lines.js';

const unavailable = netemUnavailableReason();
if (unavailable) console.log(unavailable);

const PROBE = fileURLToPath(new URL('./fixtures/udp-probe.ts', import.meta.url));
const HOLD = fileURLToPath(new URL('./fixtures/hold-topology.ts', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const hostMs = () => performance.timeOrigin + performance.now();
const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] as number;

/** Our namespaces still present in /run/netns (shared by every network namespace of the machine). */
const leftoverNamespaces = (names: string[]) => {
  let present: string[] = [];
  try {
    present = readdirSync('/run/netns');
  } catch {
    // No /run/netns at all: nothing left.
  }
  return names.filter((n) => present.includes(n));
};
const leftoverLinks = (names: string[]) => names.filter((n) => ip(['-o', 'link', 'show']).includes(` ${n}:`));

let net: NetemTopology | undefined;
afterEach(() => {
  net?.teardown();
  net = undefined;
});

async function topology(options: Parameters<typeof NetemTopology.setup>[0] = {}): Promise<NetemTopology> {
  net = await NetemTopology.setup(options);
  return net;
}

/** A UDP echo (or sink) in namespace b, ready to receive. */
async function listener(t: NetemTopology, mode: 'echo' | 'sink', port: number): Promise<ChildLines> {
  const child = new ChildLines(t.spawnNode('b', PROBE, [mode, String(port)]));
  await child.waitFor((l) => 'listening' in l, 15_000);
  return child;
}

const replies = (ping: ChildLines) => ping.lines.filter((l): l is Line & { seq: number; sentAt: number; rttMs: number } => 'rttMs' in l);

describe.skipIf(unavailable !== undefined)('netem: two namespaces through the userspace router', () => {
  it('gives each namespace its interface, address and default route', async () => {
    const t = await topology();
    for (const [side, dev, address] of [['a', 'lnkA', NETEM_ADDRESS.a], ['b', 'lnkB', NETEM_ADDRESS.b]] as const) {
      const addr = await t.exec(side, 'ip', ['-o', '-4', 'addr', 'show']);
      expect(addr.stdout, addr.stderr).toContain(`${dev}    inet ${address}/24`);
      expect(addr.stdout, addr.stderr).toContain('lo    inet 127.0.0.1/8');
      const route = await t.exec(side, 'ip', ['route', 'show', 'default']);
      expect(route.stdout, route.stderr).toContain(`default dev ${dev}`);
    }
    expect(t.namespaces.a).toMatch(new RegExp(`^pdu-\\d+-${process.pid}-\\d+-a$`));
  });

  it('delays each direction by its configured one-way delay (25 ms each way: RTT 50-80 ms)', async () => {
    const t = await topology({ aToB: { delayMs: 25 }, bToA: { delayMs: 25 } });
    await listener(t, 'echo', 9000);
    const ping = new ChildLines(t.spawnNode('a', PROBE, ['ping', NETEM_ADDRESS.b, '9000', '20', '20']));
    await ping.waitFor((l) => 'done' in l, 20_000);
    const rtts = replies(ping).map((r) => r.rttMs);
    expect(rtts).toHaveLength(20);
    expect(Math.min(...rtts)).toBeGreaterThanOrEqual(50);
    expect(median(rtts)).toBeLessThan(80);
    const counters = await t.router.counters();
    // 20 probes each way and nothing else: IPv6 chatter is off on the emulated interfaces.
    expect(counters.aToB).toMatchObject({ offeredPackets: 20, deliveredPackets: 20, offeredBytes: 20 * (20 + 8 + 64) });
    expect(counters.bToA).toMatchObject({ offeredPackets: 20, deliveredPackets: 20 });
  });

  it('loses packets at the configured Bernoulli rate, and the counters add up', async () => {
    const t = await topology({ aToB: { loss: 'bern:0.2' } });
    const sink = await listener(t, 'sink', 9001);
    const before = await t.router.counters();
    const sender = new ChildLines(t.spawnNode('a', PROBE, ['send', NETEM_ADDRESS.b, '9001', '500', '2']));
    await sender.waitFor((l) => 'sent' in l, 20_000);
    await sleep(300);
    sink.child.stdin!.end();
    const { received } = (await sink.waitFor((l) => 'received' in l, 5000)) as { received: number };
    const after = await t.router.counters();
    const delta = (key: Exclude<keyof RouterCounters['aToB'], 'byProtocol'>) => after.aToB[key] - before.aToB[key];
    expect(delta('offeredPackets')).toBe(500);
    expect(delta('offeredBytes')).toBe(500 * (20 + 8 + 200));
    // The same packets by protocol: all UDP here.
    const udp = (c: RouterCounters) => c.aToB.byProtocol.udp;
    expect(udp(after).offeredPackets - udp(before).offeredPackets).toBe(500);
    expect(udp(after).lostPackets - udp(before).lostPackets).toBe(delta('lostPackets'));
    expect(after.aToB.byProtocol.tcp.offeredPackets).toBe(0);
    // Binomial(500, 0.2): mean 100, sd 8.9; these bounds are 4.5 sd wide.
    expect(delta('lostPackets')).toBeGreaterThanOrEqual(60);
    expect(delta('lostPackets')).toBeLessThanOrEqual(140);
    expect(delta('deliveredPackets')).toBe(500 - delta('lostPackets'));
    expect(received).toBe(delta('deliveredPackets'));
    expect(after.bToA.offeredPackets).toBe(0);
  });

  it('applies impairment changed while traffic flows', async () => {
    const t = await topology();
    await listener(t, 'echo', 9002);
    const ping = new ChildLines(t.spawnNode('a', PROBE, ['ping', NETEM_ADDRESS.b, '9002', '0', '20']));
    await ping.waitFor((l) => 'rttMs' in l, 15_000);
    await sleep(500);
    await t.router.configure('aToB', { delayMs: 40 });
    const delayed = hostMs();
    await sleep(800);
    await t.router.configure('both', { loss: 'bern:1' });
    const cut = hostMs();
    const lostBefore = (await t.router.counters()).aToB.lostPackets;
    await sleep(800);
    await t.router.configure('both', { loss: 'none', delayMs: 0 });
    const restored = hostMs();
    await sleep(600);
    ping.child.stdin!.end();
    await ping.waitFor((l) => 'done' in l, 5000);

    const all = replies(ping);
    const phase = (from: number, to: number) => all.filter((r) => r.sentAt > from && r.sentAt < to).map((r) => r.rttMs);
    expect(median(phase(0, delayed - 100))).toBeLessThan(20);
    const slow = phase(delayed, cut - 100);
    expect(slow.length).toBeGreaterThan(10);
    expect(Math.min(...slow)).toBeGreaterThanOrEqual(40);
    // Everything sent while both directions dropped everything is gone (200 ms margin for the switch back).
    expect(phase(cut, restored - 200)).toEqual([]);
    expect((await t.router.counters()).aToB.lostPackets - lostBefore).toBeGreaterThan(20);
    expect(median(phase(restored + 100, Infinity))).toBeLessThan(20);
  });

  it('rejects a bad impairment spec at run time and keeps the old one', async () => {
    const t = await topology({ aToB: { delayMs: 5 } });
    await expect(t.router.configure('both', { loss: 'bern:5' })).rejects.toThrow(/bern: p must be a probability/);
    await expect(t.router.configure('aToB', { capacity: 'no-such-folder/x' })).rejects.toThrow(/netem router: .*no-such-folder/);
    await t.router.configure('aToB', { rateBitsPerSecond: 1e6 });
    expect((await t.router.counters()).aToB.offeredPackets).toBe(0);
  });
});

describe.skipIf(unavailable !== undefined)('netem teardown', () => {
  it('leaves no namespace, process or TUN behind when the body throws', async () => {
    let seen: { namespaces: string[]; tuns: string[]; pids: number[] } | undefined;
    await expect(
      NetemTopology.with({}, async (t) => {
        t.spawn('a', 'sleep', ['30']);
        await sleep(100);
        seen = { namespaces: Object.values(t.namespaces), tuns: Object.values(t.tunNames), pids: t.runningPids() };
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(seen!.pids).toHaveLength(4); // router, two socats, sleep
    expect(seen!.pids.filter(isRunning)).toEqual([]);
    expect(leftoverNamespaces(seen!.namespaces)).toEqual([]);
    expect(leftoverLinks(seen!.tuns)).toEqual([]);
  });

  it('cleans up when setup fails midway (the router refuses its spec after the namespaces exist)', async () => {
    const ours = () => readdirSync('/run/netns').filter((n) => new RegExp(`^pdu-\\d+-${process.pid}-`).test(n));
    const before = ours();
    await expect(NetemTopology.setup({ bToA: { loss: 'ge:0/0' } })).rejects.toThrow(/netem router did not start: ge: mean run lengths/);
    expect(ours()).toEqual(before);
  });

  it('cleans up when the owning process is terminated or exits without teardown', async () => {
    const run = async (how: 'signal' | 'exit') => {
      const child = new ChildLines(spawn(process.execPath, nodeScriptArgs(HOLD, [how]), { stdio: ['ignore', 'pipe', 'pipe'] }));
      const made = (await child.waitFor((l) => 'namespaces' in l, 20_000)) as { namespaces: Record<string, string>; tunNames: Record<string, string> };
      const exited = new Promise<[number | null, string | null]>((resolve) => child.child.once('exit', (code, signal) => resolve([code, signal])));
      if (how === 'signal') child.child.kill('SIGTERM');
      return { made, status: await exited };
    };
    const [terminated, exited] = await Promise.all([run('signal'), run('exit')]);
    expect(terminated.status).toEqual([null, 'SIGTERM']);
    expect(exited.status).toEqual([3, null]);
    for (const { made } of [terminated, exited]) {
      expect(leftoverNamespaces(Object.values(made.namespaces))).toEqual([]);
      expect(leftoverLinks(Object.values(made.tunNames))).toEqual([]);
    }
  });
});
