import { describe, expect, it } from 'vitest';
import { STRIPED_ASKED_ACK_DELAY_RTT, type PduEngineOptions } from '../../src/engine/index.js';
import { BernoulliLoss } from '../../src/transport/loss-models.js';
import { connect, makePair, settleRtt, timedMessages } from './engine-harness.js';

const MESSAGES = 200;
const SIZE = 16 * 1024;

/**
 * 16 KiB messages at 5/s over four striped lanes, each FIFO, 5% loss: the lanes' one-way delays
 * differ by up to 9 ms, as stripes' queues do, so arrivals interleave out of packet order.
 */
function runStriped(engine: Omit<PduEngineOptions, 'role'>, seed: number) {
  const pair = makePair({
    seed,
    delayMs: 25,
    lanes: 4,
    laneLinks: [{ delayMs: 25 }, { delayMs: 26 }, { delayMs: 27 }, { delayMs: 28 }],
    engine: { ...engine, trace: { maxEvents: 100_000 } },
  });
  connect(pair);
  settleRtt(pair);
  for (const link of pair.sim.aToBLanes) link.configure({ loss: new BernoulliLoss(0.05) });
  const latencies = timedMessages(pair, MESSAGES, SIZE);
  const recovery = pair.a.engine.stats().recovery;
  // How long each packet declared lost (and not acknowledged later) took to be found.
  const trace = pair.a.engine.exportTrace().trim().split('\n').map((l) => JSON.parse(l) as { t: number; event: string; pn: number });
  const packetSentAt = new Map(trace.filter((r) => r.event === 'sent' || r.event === 'retransmitted').map((r) => [r.pn, r.t]));
  const spurious = new Set(trace.filter((r) => r.event === 'spurious').map((r) => r.pn));
  const found = trace.filter((r) => r.event === 'lost' && !spurious.has(r.pn)).map((r) => r.t - packetSentAt.get(r.pn)!);
  return {
    received: latencies.length,
    p99: latencies[Math.floor(0.99 * (latencies.length - 1))]!,
    p95: latencies[Math.floor(0.95 * (latencies.length - 1))]!,
    retx: recovery.retransmissions,
    meanFoundMs: found.reduce((x, y) => x + y, 0) / found.length,
    untrustedLanes: recovery.untrustedLanes,
    acksSent: Object.values(pair.b.engine.stats().recovery.acksSent).reduce((x, y) => x + y, 0),
  };
}

describe('loss detection per FIFO lane', () => {
  it('finds losses on striped lanes a few ms sooner, and no loss it declares is undone', () => {
    for (const seed of [51, 52, 53]) {
      const lanes = runStriped({}, seed);
      const thresholds = runStriped({ recovery: { laneLossDetection: false } }, seed);
      expect(lanes.received).toBe(MESSAGES);
      expect(thresholds.received).toBe(MESSAGES);
      // Most losses are found on their lane: when a later datagram of the same lane is
      // acknowledged, about one RTT after the send, instead of 9/8 srtt or three packets on.
      expect(lanes.retx.lane).toBeGreaterThan(lanes.retx.timeout / 2);
      expect(thresholds.retx.lane).toBe(0);
      expect(thresholds.meanFoundMs - lanes.meanFoundMs).toBeGreaterThan(2);
      // Every lane stayed trusted: no packet the rule declared lost was acknowledged after all.
      expect(lanes.untrustedLanes).toBe(0);
      // Not worse at the tail: where the p99 message needs the same rounds under both rules,
      // the two differ by microseconds of send order.
      expect(lanes.p99).toBeLessThanOrEqual(thresholds.p99 + 1);
    }
  });

  it('with asked-for ACKs waiting srtt/32 for what trails on other lanes, sends fewer ACKs and needless resends', () => {
    let acks = [0, 0];
    let spurious = [0, 0];
    let p99 = [0, 0];
    for (const seed of [51, 52, 53]) {
      const atOnce = runStriped({}, seed);
      const waiting = runStriped({ ack: { askedAckDelayRtt: STRIPED_ASKED_ACK_DELAY_RTT } }, seed);
      expect(waiting.received).toBe(MESSAGES);
      acks = [acks[0]! + atOnce.acksSent, acks[1]! + waiting.acksSent];
      spurious = [spurious[0]! + atOnce.retx.spurious, spurious[1]! + waiting.retx.spurious];
      p99 = [p99[0]! + atOnce.p99 / 3, p99[1]! + waiting.p99 / 3];
    }
    // The tail's ACK now covers the datagrams that crossed slower lanes behind it: one ACK
    // instead of two, and no hole reported that was only a straggler.
    expect(acks[1]).toBeLessThan(0.95 * acks[0]!);
    expect(spurious[1]).toBeLessThan(spurious[0]! / 2);
    // It waits under 2 ms: the tail is the same, give or take one message's rounds.
    expect(p99[1]).toBeLessThan(p99[0]! + 3);
  });
});
