import { describe, expect, it } from 'vitest';
import type { LinkConfig } from '../../src/transport/link.js';
import { BernoulliLoss, TraceReplayLoss } from '../../src/transport/loss-models.js';
import { SctpModelEndpoint, type DeliveredMessage } from '../../src/transport/sctp-model.js';
import { decodePacket } from '../../src/transport/sctp-model-wire.js';
import { Simulation, type SimulationHooks } from '../../src/transport/simulation.js';

/** Message i: `size` bytes, each (i + offset) mod 251, so content and order are both checked. */
function message(i: number, size: number): Uint8Array {
  return Uint8Array.from({ length: size }, (_, k) => (i + k) % 251);
}

interface Workload {
  sizes: number[];
  intervalMs: number;
}

function transfer(workload: Workload, links: { aToB?: Partial<LinkConfig>; bToA?: Partial<LinkConfig> }, seed = 1, hooks?: SimulationHooks) {
  const a = new SctpModelEndpoint();
  const b = new SctpModelEndpoint();
  const sim = new Simulation(a, b, { seed, ...links, ...(hooks ? { hooks } : {}) });
  const sentAt: number[] = [];
  workload.sizes.forEach((size, i) => {
    sim.schedule(i * workload.intervalMs, (now) => {
      expect(a.send(message(i, size), now)).toBe(i);
      sentAt.push(now);
    });
  });
  const idle = sim.runUntilIdle(600_000);
  const delivered: DeliveredMessage[] = [];
  for (let m = b.pollDelivered(); m; m = b.pollDelivered()) delivered.push(m);
  const latencies = delivered.map((m) => m.at - (sentAt[m.id] as number));
  return { a, b, sim, idle, delivered, latencies };
}

function sameBytes(x: Uint8Array, y: Uint8Array): boolean {
  return x.byteLength === y.byteLength && x.every((v, k) => v === y[k]);
}

function expectAllInOrder(delivered: DeliveredMessage[], sizes: number[]): void {
  expect(delivered.map((m) => m.id)).toEqual(sizes.map((_, i) => i));
  // A byte loop: deep equality on thousands of large arrays would dominate the test time.
  expect(delivered.filter((m, i) => !sameBytes(m.data, message(i, sizes[i] as number))).map((m) => m.id)).toEqual([]);
  for (let i = 1; i < delivered.length; i++) expect((delivered[i] as DeliveredMessage).at).toBeGreaterThanOrEqual((delivered[i - 1] as DeliveredMessage).at);
}

const quantile = (xs: number[], q: number) => [...xs].sort((x, y) => x - y)[Math.ceil(q * xs.length) - 1] as number;
const path = (loss?: number): Partial<LinkConfig> => ({ delayMs: 25, ...(loss === undefined ? {} : { loss: new BernoulliLoss(loss) }) });

describe('sctp-model (reliable ordered dcsctp-like channel)', () => {
  it('delivers every message in order and intact at 0% loss, within the MTU', () => {
    const sizes = Array.from({ length: 120 }, (_, i) => [1, 700, 1160, 1161, 5000, 16_384, 65_536][i % 7] as number);
    let largest = 0;
    const { delivered, latencies, a, idle } = transfer({ sizes, intervalMs: 20 }, { aToB: path(), bToA: path() }, 1, {
      onTransmit: (_from, bytes) => {
        largest = Math.max(largest, bytes.byteLength);
      },
    });
    expect(idle).toBe(true);
    expectAllInOrder(delivered, sizes);
    expect(largest).toBeLessThanOrEqual(1191);
    expect(latencies[0]).toBe(25); // one chunk, one-way delay
    expect(a.stats().retransmittedChunks).toBe(0);
    expect(a.bufferedAmount).toBe(0);
  });

  it('delivers everything in order under 5% Bernoulli loss, with a tail shaped by recovery', () => {
    // The ENVIRONMENT.md row: 16 KiB at 5/s, RTT 50 ms, 5% each way; Chromium measured p50 185, p99 332 ms.
    const sizes = new Array<number>(150).fill(16_384);
    const { delivered, latencies, a, idle } = transfer({ sizes, intervalMs: 200 }, { aToB: path(0.05), bToA: path(0.05) }, 2);
    expect(idle).toBe(true);
    expectAllInOrder(delivered, sizes);
    const stats = a.stats();
    expect(stats.retransmittedChunks).toBeGreaterThan(50);
    expect(stats.fastRetransmits).toBeGreaterThan(20);
    expect(quantile(latencies, 0.5)).toBeGreaterThanOrEqual(75);
    expect(quantile(latencies, 0.5)).toBeLessThanOrEqual(250);
    expect(quantile(latencies, 0.99)).toBeGreaterThanOrEqual(225);
    expect(quantile(latencies, 0.99)).toBeLessThanOrEqual(800);
  });

  it('recovers a lost tail chunk only by the T3 timer (RTO floor 400 ms)', () => {
    // One 3-chunk message; the third DATA packet is lost. The SACK of the first two (t=25) gives an
    // RTT of 50 ms, so RTO = max(50 + 220, 400) = 400 ms, restarted at t=50: resend at 450, arrival 475.
    const dropThird = new TraceReplayLoss({ name: 'drop-3rd', lost: Uint8Array.of(0, 0, 1, 0, 0, 0, 0, 0), delayMs: new Float64Array(8).fill(25) });
    const { delivered, latencies, a } = transfer({ sizes: [3000], intervalMs: 1 }, { aToB: { loss: dropThird }, bToA: path() });
    expect(delivered).toHaveLength(1);
    expect(latencies).toEqual([475]);
    // T3 halves ssthresh (10 MTU -> 5 MTU) and restarts slow start from one MTU.
    expect(a.stats()).toMatchObject({ t3Expirations: 1, fastRetransmits: 0, retransmittedChunks: 1, ssthresh: 5955 });
    expect(a.stats().cwnd).toBeLessThan(2 * 1191);
  });

  it('recovers a mid-message loss by fast retransmit after 3 miss reports, within about one RTT', () => {
    const lost = new Uint8Array(20);
    lost[1] = 1; // the second DATA packet of a 10-chunk message
    const dropSecond = new TraceReplayLoss({ name: 'drop-2nd', lost, delayMs: new Float64Array(20).fill(25) });
    const { delivered, latencies, a } = transfer({ sizes: [11_000], intervalMs: 1 }, { aToB: { loss: dropSecond }, bToA: path() });
    expect(delivered).toHaveLength(1);
    expect(latencies[0]).toBe(75); // the 3rd miss report (from the 4th packet after the hole) arrives at 50, resend lands at 75
    const stats = a.stats();
    expect(stats).toMatchObject({ t3Expirations: 0, fastRetransmits: 1, retransmittedChunks: 1 });
    // cwnd had grown to 11 MTU with the first SACK; fast recovery halves it.
    expect(stats.ssthresh).toBe(Math.floor((11 * 1191) / 2));
    expect(stats.cwnd).toBe(stats.ssthresh);
  });

  it('grows cwnd in slow start on a clean bulk transfer', () => {
    const { a, delivered } = transfer({ sizes: new Array<number>(16).fill(65_536), intervalMs: 0 }, { aToB: path(), bToA: path() });
    expect(delivered).toHaveLength(16);
    expect(a.stats().cwnd).toBeGreaterThan(10 * 1191 * 4);
  });

  it('delays a lone SACK by 200 ms and SACKs every second packet at once', () => {
    const sacks: number[] = [];
    transfer({ sizes: [100, 1], intervalMs: 1000 }, { aToB: path(), bToA: path() }, 1, {
      onTransmit: (from, bytes, now) => {
        if (from === 'b' && decodePacket(bytes)?.sack) sacks.push(now);
      },
    });
    expect(sacks).toEqual([225, 1225]);
    const pairs: number[] = [];
    transfer({ sizes: [2000], intervalMs: 1 }, { aToB: path(), bToA: path() }, 1, {
      onTransmit: (from, bytes, now) => {
        if (from === 'b' && decodePacket(bytes)?.sack) pairs.push(now);
      },
    });
    expect(pairs).toEqual([25]);
  });

  it('is deterministic per seed', () => {
    const sizes = Array.from({ length: 60 }, (_, i) => 500 + ((i * 7919) % 20_000));
    const run = (seed: number) => transfer({ sizes, intervalMs: 30 }, { aToB: path(0.05), bToA: path(0.05) }, seed).latencies;
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });

  it('counts malformed datagrams instead of throwing', () => {
    const endpoint = new SctpModelEndpoint();
    expect(() => endpoint.handleDatagram(Uint8Array.of(1, 2, 3), 0)).not.toThrow();
    endpoint.handleDatagram(Uint8Array.from({ length: 20 }, () => 0xee), 0);
    expect(endpoint.stats().malformedPackets).toBe(2);
    expect(endpoint.pollTransmit()).toBeUndefined();
  });
});
