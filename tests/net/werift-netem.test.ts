// Two werift peers, one per namespace, over a plain data channel through the emulated link.
// Signaling runs on the project's WebSocket server inside namespace a, reached from b across the
// router. Channels open on a clean link; impairment comes after (ENVIRONMENT.md: connecting
// while the link drops packets often fails).
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { NETEM_ADDRESS, NetemTopology, netemUnavailableReason } from '../../src/netem/index.js';
import { ChildLines } from './child-lines.js';

const unavailable = netemUnavailableReason();
if (unavailable) console.log(unavailable);

const PEER = fileURLToPath(new URL('./fixtures/werift-echo-peer.ts', import.meta.url));
type Burst = { sent: number; echoed: number; minRttMs: number; p50RttMs: number };

let net: NetemTopology | undefined;
afterEach(() => {
  net?.teardown();
  net = undefined;
});

describe.skipIf(unavailable !== undefined)('werift <-> werift across the emulated link', () => {
  it('connects through the router and keeps exchanging messages once the link is impaired', async () => {
    const t = (net = await NetemTopology.setup());
    const a = new ChildLines(t.spawnNode('a', PEER, ['serve', NETEM_ADDRESS.a]));
    const { signaling } = (await a.waitFor((l) => 'signaling' in l, 20_000)) as { signaling: string };
    const b = new ChildLines(t.spawnNode('b', PEER, ['join', signaling]));
    await Promise.all([a.waitFor((l) => 'open' in l, 30_000), b.waitFor((l) => 'open' in l, 30_000)]);

    const burst = async (count: number, size: number, gapMs: number): Promise<Burst> => {
      const before = a.lines.length;
      a.child.stdin!.write(`${JSON.stringify({ count, size, gapMs })}\n`);
      const line = await a.waitFor((l) => 'burst' in l && a.lines.indexOf(l) >= before, 40_000);
      return line.burst as Burst;
    };

    const clean = await burst(50, 1024, 5);
    expect(clean.echoed).toBe(50);
    const crossed = await t.router.counters();
    // Everything went through the router: ICE, DTLS and SCTP packets, in both directions.
    expect(crossed.aToB.deliveredPackets).toBeGreaterThan(50);
    expect(crossed.bToA.deliveredPackets).toBeGreaterThan(50);

    await t.router.configure('both', { delayMs: 25, loss: 'bern:0.05' });
    const impaired = await burst(100, 1024, 20);
    expect(impaired.echoed).toBe(100); // reliable channel: SCTP recovers every loss
    expect(impaired.minRttMs).toBeGreaterThanOrEqual(50);
    const after = await t.router.counters();
    expect(after.aToB.lostPackets + after.bToA.lostPackets).toBeGreaterThan(0);
    console.log(`werift over netem: clean p50 ${clean.p50RttMs.toFixed(1)} ms; 25 ms + 5% each way: min ${impaired.minRttMs.toFixed(1)}, p50 ${impaired.p50RttMs.toFixed(1)} ms`);
  });
});
