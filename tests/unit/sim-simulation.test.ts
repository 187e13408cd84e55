import { describe, expect, it } from 'vitest';
import { BernoulliLoss } from '../../src/transport/loss-models.js';
import { Simulation, SimulationStepBudgetError, type Endpoint, type SimulationOptions } from '../../src/transport/simulation.js';

// Test harness peers: a pinger that sends numbered pings on its own timer, and an echoer.

class Pinger implements Endpoint {
  readonly rtts = new Map<number, number>();
  private readonly sentAt: number[] = [];
  private outbox: Uint8Array[] = [];
  private nextPingAt: number | undefined = 0;

  constructor(
    private readonly count: number,
    private readonly intervalMs: number,
  ) {}

  handleDatagram(bytes: Uint8Array, now: number): void {
    const seq = new DataView(bytes.buffer, bytes.byteOffset).getUint32(0);
    this.rtts.set(seq, now - (this.sentAt[seq] as number));
  }

  handleTimeout(now: number): void {
    const seq = this.sentAt.length;
    this.sentAt.push(now);
    const ping = new Uint8Array(64);
    new DataView(ping.buffer).setUint32(0, seq);
    this.outbox.push(ping);
    this.nextPingAt = seq + 1 < this.count ? now + this.intervalMs : undefined;
  }

  pollTransmit(): Uint8Array | undefined {
    return this.outbox.shift();
  }

  nextTimeout(): number | undefined {
    return this.nextPingAt;
  }
}

class Echoer implements Endpoint {
  private outbox: Uint8Array[] = [];
  handleDatagram(bytes: Uint8Array): void {
    this.outbox.push(bytes);
  }
  handleTimeout(): void {}
  pollTransmit(): Uint8Array | undefined {
    return this.outbox.shift();
  }
  nextTimeout(): number | undefined {
    return undefined;
  }
}

function pingRun(options: Omit<SimulationOptions, 'seed'> & { seed?: number }, count = 100, intervalMs = 10) {
  const pinger = new Pinger(count, intervalMs);
  const sim = new Simulation(pinger, new Echoer(), { seed: 1, ...options });
  const idle = sim.runUntilIdle(1e6);
  return { pinger, sim, idle };
}

describe('Simulation', () => {
  it('round-trips pings in exactly the two one-way delays', () => {
    const { pinger, sim, idle } = pingRun({ aToB: { delayMs: 20 }, bToA: { delayMs: 35 } });
    expect(idle).toBe(true);
    expect(pinger.rtts.size).toBe(100);
    for (const rtt of pinger.rtts.values()) expect(rtt).toBe(55);
    expect(sim.now).toBe(99 * 10 + 55);
  });

  it('loses pings on both links and repeats the same run for the same seed', () => {
    const lossy = (seed: number) =>
      pingRun({ seed, aToB: { delayMs: 10, jitterMs: 3, loss: new BernoulliLoss(0.1) }, bToA: { delayMs: 10, jitterMs: 3, loss: new BernoulliLoss(0.1) } }, 5000, 1);
    const first = lossy(4);
    expect(Math.abs(first.pinger.rtts.size / 5000 - 0.81)).toBeLessThan(0.03);
    expect(first.sim.aToB.counters.lostPackets + first.sim.bToA.counters.lostPackets).toBe(5000 - first.pinger.rtts.size);
    expect([...lossy(4).pinger.rtts]).toEqual([...first.pinger.rtts]);
    expect([...lossy(5).pinger.rtts]).not.toEqual([...first.pinger.rtts]);
  });

  it('runs scheduled callbacks at their time, in call order for equal times', () => {
    const sim = new Simulation(new Echoer(), new Echoer(), { seed: 1 });
    const log: string[] = [];
    sim.schedule(30, (now) => log.push(`b@${now}`));
    sim.schedule(10, (now) => {
      log.push(`a@${now}`);
      sim.schedule(now, (t) => log.push(`a2@${t}`));
    });
    sim.schedule(30, (now) => log.push(`c@${now}`));
    sim.runUntil(20);
    expect(log).toEqual(['a@10', 'a2@10']);
    expect(sim.now).toBe(20);
    expect(() => sim.schedule(5, () => {})).toThrow(/already at 20/);
    expect(sim.runUntilIdle(100)).toBe(true);
    expect(log).toEqual(['a@10', 'a2@10', 'b@30', 'c@30']);
  });

  it('stops runUntilIdle at maxTime while events remain', () => {
    const busy = new Simulation(new Pinger(1000, 10), new Echoer(), { seed: 1 });
    expect(busy.runUntilIdle(500)).toBe(false);
    expect(busy.nextEventTime()).toBeGreaterThan(500);
    expect(busy.runUntilIdle(1e6)).toBe(true);
    expect(busy.nextEventTime()).toBeUndefined();
  });

  it('reports every datagram to the hooks with its link outcome', () => {
    const outcomes: Record<string, number> = {};
    let delivered = 0;
    const { sim, pinger } = pingRun(
      {
        aToB: { loss: new BernoulliLoss(0.2) },
        hooks: {
          onTransmit: (from, _bytes, _now, outcome) => {
            outcomes[`${from}:${outcome}`] = (outcomes[`${from}:${outcome}`] ?? 0) + 1;
          },
          onDeliver: () => delivered++,
        },
      },
      1000,
      1,
    );
    expect((outcomes['a:queued'] ?? 0) + (outcomes['a:lost'] ?? 0)).toBe(1000);
    expect(outcomes['a:lost']).toBe(sim.aToB.counters.lostPackets);
    expect(outcomes['b:queued']).toBe(pinger.rtts.size);
    expect(delivered).toBe(sim.aToB.counters.deliveredPackets + sim.bToA.counters.deliveredPackets);
  });

  it('throws a clear error instead of hanging on a stuck endpoint', () => {
    const stuckTimer: Endpoint = { handleDatagram() {}, handleTimeout() {}, pollTransmit: () => undefined, nextTimeout: () => 0 };
    const sim = new Simulation(stuckTimer, new Echoer(), { seed: 1, maxSteps: 1000 });
    expect(() => sim.runUntil(10)).toThrow(SimulationStepBudgetError);
    expect(() => new Simulation(stuckTimer, new Echoer(), { seed: 1, maxSteps: 10 }).runUntil(1)).toThrow(/nextTimeout\(\) that does not move past now/);
    const flood: Endpoint = { handleDatagram() {}, handleTimeout() {}, pollTransmit: () => new Uint8Array(1), nextTimeout: () => undefined };
    expect(() => new Simulation(flood, new Echoer(), { seed: 1, maxSteps: 5000 }).runUntil(1)).toThrow(/5000 steps/);
  });
});
