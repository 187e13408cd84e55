import { describe, expect, it } from 'vitest';
import { BernoulliLoss } from '../../src/transport/loss-models.js';
import type { LaneHold } from '../../src/engine/lane-log.js';
import { connect, makePair, payload, settleRtt, timedMessages } from './engine-harness.js';

const MESSAGES = 150;
const SIZE = 16 * 1024;
/** A lane's window lets this many datagrams of a burst leave; the rest wait a round trip. */
const WINDOW = 3;
const HOLD_MS = 50;
/** How often the host looks at its lanes' queues while they hold anything (the driver's 3 ms). */
const CHECK_MS = 3;

/**
 * 16 KiB messages at 5/s striped over four FIFO lanes at 5% loss, where each lane's stack lets
 * three datagrams of a burst leave and holds the rest a round trip (Chromium's and werift's SCTP
 * after their window shrank: BENCHMARKS.md "Session 15"). The hold is played at the receiver's
 * door, FIFO per lane; with `tell`, the sender's host reports what its lanes hold every 3 ms
 * while they do (PduEngine.reportLaneBacklog), as EngineDriver does. The simulator deals lanes
 * in turn, so a copy may land behind a window too.
 */
function runHeld(tell: boolean, seed: number) {
  const pair = makePair({ seed, delayMs: 25, lanes: 4 });
  /** The engine numbers every datagram of a lane, the handshake's too: count from the start. */
  let holding = false;
  const polled = [0, 0, 0, 0];
  const burst = [0, 0, 0, 0];
  const lastPoll = [-Infinity, -Infinity, -Infinity, -Infinity];
  /** Per lane: until when its queue holds what it was given (FIFO). */
  const heldUntil = [0, 0, 0, 0];
  /** Datagrams held, by their tag (the last 16 bytes: the AEAD tag), with their release time. */
  const held = new Map<string, number>();
  const tag = (d: Uint8Array) => Buffer.from(d.subarray(d.length - 16)).toString('hex');
  let heldCount = 0;
  const poll = pair.a.pollTransmit.bind(pair.a);
  pair.a.pollTransmit = (lane) => {
    const datagram = poll(lane);
    if (!datagram || lane === undefined) return datagram;
    const now = pair.sim.now;
    const index = polled[lane]!++;
    if (!holding) return datagram;
    if (now - lastPoll[lane]! > 20) burst[lane] = 0;
    lastPoll[lane] = now;
    const release = burst[lane]!++ >= WINDOW ? now + HOLD_MS : heldUntil[lane]!;
    if (release > now) {
      heldUntil[lane] = release;
      held.set(tag(datagram), release);
      heldCount++;
      if (tell) for (let t = now + CHECK_MS; t < release; t += CHECK_MS) pair.sim.schedule(t, (at) => pair.a.engine.reportLaneBacklog([{ lane, from: index, to: index + 1 }], at));
    }
    return datagram;
  };
  const handle = pair.b.handleDatagram.bind(pair.b);
  pair.b.handleDatagram = (bytes, now) => {
    const release = held.get(tag(bytes));
    if (release === undefined || release <= now) return handle(bytes, now);
    const copy = bytes.slice();
    pair.sim.schedule(release, (t) => handle(copy, t));
  };
  connect(pair);
  settleRtt(pair);
  for (const link of pair.sim.aToBLanes) link.configure({ loss: new BernoulliLoss(0.05) });
  holding = true;
  const latencies = timedMessages(pair, MESSAGES, SIZE);
  return { received: latencies.length, heldCount, retx: pair.a.engine.stats().recovery.retransmissions, p99: latencies[Math.floor(0.99 * (latencies.length - 1))]! };
}

describe('datagrams a lane holds behind its window', () => {
  it('go again on a free lane once the host tells the engine they wait, and are not judged lost while they do', () => {
    const p99 = [0, 0];
    for (const seed of [61, 62, 63]) {
      const untold = runHeld(false, seed);
      const told = runHeld(true, seed);
      expect(untold.received).toBe(MESSAGES);
      expect(told.received).toBe(MESSAGES);
      // Every burst of 15 leaves a fourth datagram waiting on three of the four lanes.
      expect(told.heldCount).toBeGreaterThan(2 * MESSAGES);
      // Told, each held fragment goes again once, an eighth of a round trip on; untold, a held
      // datagram looks lost a loss delay after it was handed over, and after a few such needless
      // resends the engine widens its reordering window and finds every loss later.
      expect(told.retx.held).toBeGreaterThan(2 * MESSAGES);
      expect(untold.retx.held).toBe(0);
      expect(told.retx.spurious).toBeLessThanOrEqual(untold.retx.spurious);
      p99[0]! += untold.p99 / 3;
      p99[1]! += told.p99 / 3;
    }
    // A message with a held datagram no longer waits the round trip of the hold.
    expect(p99[1]).toBeLessThan(p99[0]! - 30);
  });
});

describe('copies of held datagrams', () => {
  it("go out oldest first, as many as the free lanes' room takes, none while every lane is busy", () => {
    const pair = makePair({ seed: 64, delayMs: 25, lanes: 4, engine: { trace: { maxEvents: 10_000 } } });
    // The engine numbers every datagram of a lane, the handshake's too: count from the start.
    const polled = [0, 0, 0, 0];
    let largest = 0;
    const poll = pair.a.pollTransmit.bind(pair.a);
    pair.a.pollTransmit = (lane) => {
      const datagram = poll(lane);
      if (datagram && lane !== undefined) {
        polled[lane]!++;
        largest = Math.max(largest, datagram.length);
      }
      return datagram;
    };
    connect(pair);
    settleRtt(pair);
    // Nothing reaches b, so nothing is acknowledged meanwhile.
    pair.b.handleDatagram = () => undefined;
    const start = pair.sim.now;
    const first = [...polled];
    pair.sim.schedule(start, (now) => pair.a.send(payload(0, 16 * 1024), { ordered: false }, now));
    pair.sim.runUntil(start + 10);
    const held = () => pair.a.engine.stats().recovery.retransmissions.held;
    const report = (lane3: LaneHold) => {
      const holds: LaneHold[] = [0, 1, 2].map((lane) => ({ lane, from: first[lane]!, to: polled[lane]! }));
      let useful: boolean | undefined;
      // Scheduled, so that the simulator takes what the engine has to send afterwards.
      pair.sim.schedule(pair.sim.now, (now) => (useful = pair.a.engine.reportLaneBacklog([...holds, lane3], now)));
      // Long enough for the pacer to let every copy go.
      pair.sim.runUntil(pair.sim.now + 5);
      return useful;
    };
    // Lane 3 holds nothing and has room for two and a half datagrams: two copies.
    expect(report({ lane: 3, from: polled[3]!, to: polled[3]!, room: Math.floor(2.5 * largest) })).toBe(true);
    expect(held()).toBe(2);
    // Busy: no copy.
    expect(report({ lane: 3, from: polled[3]!, to: polled[3]!, busy: true })).toBe(true);
    expect(held()).toBe(2);
    // Free, room untold: two more.
    expect(report({ lane: 3, from: polled[3]!, to: polled[3]! })).toBe(true);
    expect(held()).toBe(4);
    // The oldest four of the held lanes' fragments, in order.
    const records = pair.a.engine.traceRecords().filter((r) => r.t >= start && r.pn !== undefined);
    const heldFragments = records.filter((r) => r.event === 'sent' && r.lane! < 3).sort((x, y) => x.pn! - y.pn!);
    const copied = records.filter((r) => r.event === 'retransmitted' && r.cause === 'held');
    expect(copied.map((r) => r.seq)).toEqual(heldFragments.slice(0, 4).map((r) => r.seq));
    // Three round trips on, nothing held is young enough to gain from another look.
    pair.sim.runUntil(start + 200);
    expect(report({ lane: 3, from: polled[3]!, to: polled[3]!, busy: true })).toBe(false);
  });
});

describe('a held datagram copied, then declared lost and acknowledged after all', () => {
  it('counts as no needless resend: its copy was no resend of a loss', () => {
    const pair = makePair({ seed: 65, delayMs: 25, lanes: 4, engine: { trace: { maxEvents: 10_000 } } });
    const polled = [0, 0, 0, 0];
    let holding = false;
    const HOLD = 400;
    /** Datagrams lane 0 holds, by their AEAD tag, with their release time. */
    const held = new Map<string, number>();
    const tag = (d: Uint8Array) => Buffer.from(d.subarray(d.length - 16)).toString('hex');
    const poll = pair.a.pollTransmit.bind(pair.a);
    pair.a.pollTransmit = (lane) => {
      const datagram = poll(lane);
      if (!datagram || lane === undefined) return datagram;
      const index = polled[lane]!++;
      // Lane 0 holds its fragments far longer than a round trip, and its host says so every 3 ms.
      if (holding && lane === 0 && datagram.length >= 1000) {
        const at = pair.sim.now;
        held.set(tag(datagram), at + HOLD);
        for (let t = at + CHECK_MS; t < at + HOLD; t += CHECK_MS) pair.sim.schedule(t, (now) => pair.a.engine.reportLaneBacklog([{ lane, from: index, to: index + 1 }], now));
      }
      return datagram;
    };
    const handle = pair.b.handleDatagram.bind(pair.b);
    pair.b.handleDatagram = (bytes, now) => {
      const release = held.get(tag(bytes));
      if (release === undefined || release <= now) return handle(bytes, now);
      const copy = bytes.slice();
      pair.sim.schedule(release, (t) => handle(copy, t));
    };
    connect(pair);
    settleRtt(pair);
    holding = true;
    const start = pair.sim.now;
    let delivered = 0;
    pair.b.on((e) => void (e.type === 'message' && delivered++));
    pair.sim.schedule(start, (now) => pair.a.send(payload(0, 16 * 1024), { ordered: false }, now));
    pair.sim.runUntil(start + HOLD + 500);
    const records = pair.a.engine.traceRecords().filter((r) => r.t >= start);
    const copiedSeqs = new Set(records.filter((r) => r.event === 'retransmitted' && r.cause === 'held').map((r) => r.seq));
    const originals = records.filter((r) => r.event === 'sent' && copiedSeqs.has(r.seq)).map((r) => r.pn);
    const lost = new Set(records.filter((r) => r.event === 'lost').map((r) => r.pn));
    const spurious = new Set(records.filter((r) => r.event === 'spurious').map((r) => r.pn));
    expect(delivered).toBe(1);
    expect(originals.length).toBeGreaterThan(0);
    // The held originals were declared lost (their credit ran out) and arrived long after their
    // copies: acknowledged, yet none of them counts as resent for nothing.
    expect(originals.filter((pn) => lost.has(pn))).toEqual(originals);
    expect(pair.b.engine.stats().recovery.duplicateFragments).toBeGreaterThanOrEqual(originals.length);
    expect(originals.filter((pn) => spurious.has(pn))).toEqual([]);
  });
});
