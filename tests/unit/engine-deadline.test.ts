import { describe, expect, it } from 'vitest';
import { BernoulliLoss } from '../../src/transport/loss-models.js';
import { PduEngine, type PduEvent } from '../../src/engine/index.js';
import { connect, makePair, runWorkload, settleRtt, type Pair } from './engine-harness.js';

/** Loses everything a->b from now until `ms` later. */
function blackout(pair: Pair, ms: number): void {
  pair.sim.aToB.configure({ loss: new BernoulliLoss(1) });
  pair.sim.schedule(pair.sim.now + ms, () => pair.sim.aToB.configure({ loss: new BernoulliLoss(0) }));
}

const ofType = <T extends PduEvent['type']>(events: PduEvent[], type: T) =>
  events.filter((e): e is Extract<PduEvent, { type: T }> => e.type === type);

describe('deadlines on both sides', () => {
  it('settles as delivered when the peer had the message in time, though the acknowledgement came after the deadline', () => {
    const pair = makePair({ seed: 21, delayMs: 25 });
    connect(pair);
    // One datagram, 40 ms to live: it arrives after 25 ms, its ACK can only be back after 50.
    const id = pair.a.send(new Uint8Array(500), { deadlineMs: 40 }, pair.sim.now);
    pair.sim.runUntil(pair.sim.now + 1000);
    expect(ofType(pair.b.events, 'message').map((e) => e.id)).toEqual([id]);
    expect(ofType(pair.a.events, 'delivered').map((e) => e.id)).toEqual([id]);
    expect(ofType(pair.a.events, 'expired')).toEqual([]);
  });

  it('drops a message whose last fragment arrives after the deadline, unacknowledged, and both sides report it expired', () => {
    const pair = makePair({ seed: 21, delayMs: 25 });
    connect(pair);
    settleRtt(pair);
    // The first copy is lost; the tail probe resends it when its immediate ACK is overdue, an
    // eighth of a round trip late (about 58 ms), with 12 ms left: it lands 25 ms later, after
    // the deadline.
    blackout(pair, 1);
    const id = pair.a.send(new Uint8Array(500), { deadlineMs: 70 }, pair.sim.now);
    pair.sim.runUntil(pair.sim.now + 1500);
    const b = pair.b.engine.stats();
    expect(pair.a.engine.stats().recovery.retransmissions.tail).toBeGreaterThan(0);
    expect(ofType(pair.b.events, 'message').filter((e) => e.id === id)).toEqual([]);
    expect(ofType(pair.b.events, 'expired')).toEqual([{ type: 'expired', id, direction: 'incoming', reason: 'deadline' }]);
    expect(b.messages.missedDeadline).toBe(1);
    expect(ofType(pair.a.events, 'expired')).toEqual([{ type: 'expired', id, direction: 'outgoing', reason: 'deadline' }]);
    expect(ofType(pair.a.events, 'delivered').filter((e) => e.id === id)).toEqual([]);
  });

  it('frees an incomplete message at its deadline on its own, when the CANCEL is lost', () => {
    const pair = makePair({ seed: 22, delayMs: 25 });
    connect(pair);
    // The first fragment gets through; the rest, every resend and the CANCEL do not.
    let passed = 0;
    pair.sim.aToB.configure({ loss: { next: () => ({ lost: passed++ > 0 }), meanLoss: () => 1, spec: () => 'first only' } });
    pair.a.send(new Uint8Array(3000), { deadlineMs: 100 }, pair.sim.now);
    pair.sim.runUntil(pair.sim.now + 60);
    expect(pair.b.engine.stats().memory.messagesInProgress).toBe(1);
    pair.sim.runUntil(pair.sim.now + 100);
    const b = pair.b.engine.stats();
    expect(b.memory.messagesInProgress).toBe(0);
    expect(b.memory.reassemblyBytes).toBe(0);
    expect(b.messages.missedDeadline).toBe(1);
    expect(b.messages.cancelledByPeer).toBe(0);
  });

  it('above capacity sheds what cannot arrive in time; every message is received in time or expired on both sides, never both', () => {
    const pair = makePair({ seed: 23, delayMs: 25 });
    connect(pair);
    // 16 KiB at 20/s is 2.6 Mbit/s into a 1 Mbit/s bottleneck.
    pair.sim.aToB.configure({ rateBitsPerSecond: 1e6, queueLimitBytes: 64 * 1024 });
    const deadlineMs = 1000;
    const messages = Array.from({ length: 200 }, (_, index) => ({ index, size: 16 * 1024, at: index * 50, opts: { deadlineMs } }));
    const start = pair.sim.now;
    const r = runWorkload(pair, messages, 20_000, 2000);
    const a = pair.a.engine.stats();
    const latencies: number[] = [];
    for (const [id, m] of r.sentIds) {
      const got = r.received.get(id);
      expect(got !== undefined, `message ${m.index}: received, or expired, not both`).toBe(!r.expired.has(id));
      expect(r.delivered.has(id), `message ${m.index}: delivered exactly when received`).toBe(got !== undefined);
      if (got) latencies.push(got.at - (start + m.at));
    }
    // What arrives, arrives in time (the deadline is whole ms on the wire: 1 ms of rounding).
    expect(Math.max(...latencies)).toBeLessThanOrEqual(deadlineMs + 1);
    expect(a.messages.shed).toBeGreaterThan(0);
    // The link moves about 76 such messages in the 10 s: shedding keeps it busy with ones that make it.
    expect(latencies.length).toBeGreaterThanOrEqual(60);
  });
});

/**
 * Two engines joined by hand, 25 ms each way, stepped 1 ms at a time: `filter` decides what
 * happens to each datagram as it is sent (pass, hold for later, drop).
 */
function handPair() {
  const a = new PduEngine({ role: 'initiator' });
  const b = new PduEngine({ role: 'responder' });
  const events = { a: [] as PduEvent[], b: [] as PduEvent[] };
  const inFlight: Array<{ at: number; to: PduEngine; datagram: Uint8Array }> = [];
  const held: Uint8Array[] = [];
  const pass = (_d: Uint8Array): 'pass' | 'hold' | 'drop' => 'pass';
  const p = { a, b, events, held, now: 0, filterAB: pass, filterBA: pass };
  const isData = (d: Uint8Array) => d[1] === 0x03;
  const step = (ms: number) => {
    for (const end = p.now + ms; p.now < end; ) {
      p.now += 1;
      for (let i = 0; i < inFlight.length; ) {
        const f = inFlight[i]!;
        if (f.at <= p.now) {
          inFlight.splice(i, 1);
          f.to.handleDatagram(f.datagram, p.now);
        } else i++;
      }
      for (const [from, to, filter] of [[a, b, () => p.filterAB], [b, a, () => p.filterBA]] as const) {
        from.handleTimeout(p.now);
        for (let d = from.pollTransmit(p.now); d; d = from.pollTransmit(p.now)) {
          const verdict = filter()(d);
          if (verdict === 'pass') inFlight.push({ at: p.now + 25, to, datagram: d });
          else if (verdict === 'hold') held.push(d);
        }
      }
      for (let e = a.pollEvent(); e; e = a.pollEvent()) events.a.push(e);
      for (let e = b.pollEvent(); e; e = b.pollEvent()) events.b.push(e);
    }
  };
  a.connect(0);
  b.connect(0);
  for (let t = 0; t < 5000 && !(events.a.some((e) => e.type === 'connected') && events.b.some((e) => e.type === 'connected')); t++) step(1);
  return { ...p, step, isData, self: p };
}

describe('deadline values', () => {
  it('refuses one that is not finite; one weeks away travels without the D flag and the message arrives', () => {
    const pair = makePair({ seed: 24, delayMs: 25 });
    connect(pair);
    expect(() => pair.a.send(new Uint8Array(10), { deadlineMs: Number.POSITIVE_INFINITY }, pair.sim.now)).toThrow(/finite/);
    expect(() => pair.a.send(new Uint8Array(10), { deadlineMs: Number.NaN }, pair.sim.now)).toThrow(/finite/);
    // 30 days: past 2^31 ms, where the receiver could no longer place it around its present.
    const id = pair.a.send(new Uint8Array(3000), { deadlineMs: 30 * 24 * 3600 * 1000 }, pair.sim.now);
    pair.sim.runUntil(pair.sim.now + 1000);
    expect(ofType(pair.b.events, 'message').map((e) => e.id)).toEqual([id]);
    expect(ofType(pair.a.events, 'delivered').map((e) => e.id)).toEqual([id]);
  });
});

/** The receiver delivered message `id` and the sender reports it delivered, never expired. */
function expectDeliveredOnBothSides(p: ReturnType<typeof handPair>, id: string): void {
  expect(p.events.b.filter((e) => e.type === 'message').map((e) => e.id)).toEqual([id]);
  expect(p.events.a.filter((e) => e.type === 'expired')).toEqual([]);
  expect(p.events.a.filter((e) => e.type === 'delivered').map((e) => e.id)).toEqual([id]);
}

describe('both sides agree when loss declarations and reordering mislead', () => {
  it('does not acknowledge a fragment that a CANCEL overtook: the sender reports expired, the receiver never delivers', () => {
    const p = handPair();
    // An unreliable message: its first two fragments pass, its third is held back. The sender
    // declares the third lost, lapses the message (every fragment is out) and sends a CANCEL,
    // which reaches the receiver before the held fragment does.
    let dataSeen = 0;
    p.self.filterAB = (d) => (p.isData(d) && ++dataSeen > 2 ? 'hold' : 'pass');
    const id = p.a.send(new Uint8Array(3000), { reliable: false, ordered: false }, p.self.now);
    for (let t = 0; t < 1000 && !p.events.b.some((e) => e.type === 'expired'); t++) p.step(1);
    expect(p.events.b.filter((e) => e.type === 'expired')).toEqual([{ type: 'expired', id, direction: 'incoming', reason: 'cancelled-by-peer' }]);
    // The held fragment arrives just after the CANCEL, while the sender still waits for ACKs.
    expect(p.held.length).toBeGreaterThan(0);
    for (const d of p.held.splice(0)) p.b.handleDatagram(d, p.self.now);
    p.self.filterAB = () => 'pass';
    p.step(1500);
    expect(p.events.b.filter((e) => e.type === 'message')).toEqual([]);
    expect(p.events.a.filter((e) => e.type === 'delivered')).toEqual([]);
    expect(p.events.a.filter((e) => e.type === 'expired').map((e) => e.id)).toEqual([id]);
  });

  it('settles an unreliable message as delivered when its loss was declared wrongly (ACKs lost, the receiver had it)', () => {
    const p = handPair();
    // The receiver's acknowledgement is lost, so the sender's probe timeout declares the
    // fragments lost although the receiver has the whole message; the receiver acknowledges the
    // CANCEL that follows, and with it the fragments. (Were that acknowledgement lost too, the
    // sender would report expired what was delivered: PROTOCOL.md 6.5 says so.)
    let dropped = 0;
    p.self.filterBA = () => (dropped++ < 1 ? 'drop' : 'pass');
    const id = p.a.send(new Uint8Array(3000), { reliable: false, ordered: false }, p.self.now);
    p.step(2000);
    expectDeliveredOnBothSides(p, id);
  });

  it('settles as delivered on the answer to its CANCEL when every acknowledgement of the completion is lost', () => {
    const p = handPair();
    // The receiver completes the message at once, but nothing it sends gets back for 400 ms:
    // the deadline passes, the CANCEL arrives, and its answer (completed) is lost too until the
    // path returns. Acknowledgements alone would never tell: the ranges are old by then.
    const until = p.self.now + 400;
    p.self.filterBA = () => (p.self.now < until ? 'drop' : 'pass');
    const id = p.a.send(new Uint8Array(3000), { deadlineMs: 80 }, p.self.now);
    p.step(3000);
    expectDeliveredOnBothSides(p, id);
  });

  it('keeps a best-effort message that lapsed before its deadline waiting for the answer, not only until the deadline', () => {
    const p = handPair();
    // Nothing comes back for 400 ms: the probe timeout declares the fragments lost, the message
    // lapses (all of it was sent), and its 200 ms deadline passes before any answer can come.
    const until = p.self.now + 400;
    p.self.filterBA = () => (p.self.now < until ? 'drop' : 'pass');
    const id = p.a.send(new Uint8Array(3000), { reliable: false, ordered: false, deadlineMs: 200 }, p.self.now);
    p.step(3000);
    expectDeliveredOnBothSides(p, id);
  });

  it('expires a lapsed message without an answer only after its wait of sixteen probe timeouts', () => {
    const p = handPair();
    // The path back is gone for good: no ACK, no answer. The receiver had the message whole; this
    // is the one case where the two sides disagree (PROTOCOL.md 6.5).
    p.self.filterBA = () => 'drop';
    const sentAt = p.self.now;
    const id = p.a.send(new Uint8Array(500), { deadlineMs: 80 }, sentAt);
    while (p.self.now < sentAt + 10_000 && !p.events.a.some((e) => e.type === 'expired')) p.step(1);
    expect(p.events.a.filter((e) => e.type === 'expired').map((e) => e.id)).toEqual([id]);
    // Sixteen probe timeouts of at least srtt (50 ms) + max ACK delay (25 ms) each.
    expect(p.self.now - sentAt).toBeGreaterThan(80 + 16 * 75);
    expect(p.events.b.filter((e) => e.type === 'message').map((e) => e.id)).toEqual([id]);
  });

  it('fits CANCELs and their answers into small datagrams, however many expire at once', () => {
    const pair = makePair({ seed: 31, delayMs: 25, engine: { maxDatagramSize: 200 } });
    connect(pair);
    // 150 ordered messages die at once while nothing gets through; the receiver must learn every
    // number, or the ordered message sent afterwards would wait behind them for ever.
    blackout(pair, 300);
    const doomed = Array.from({ length: 150 }, () => pair.a.send(new Uint8Array(300), { deadlineMs: 50 }, pair.sim.now));
    pair.sim.runUntil(pair.sim.now + 2000);
    const after = pair.a.send(new Uint8Array(300), {}, pair.sim.now);
    pair.sim.runUntil(pair.sim.now + 3000);
    expect(ofType(pair.a.events, 'expired').map((e) => e.id).sort()).toEqual([...doomed].sort());
    expect(ofType(pair.b.events, 'message').map((e) => e.id)).toEqual([after]);
    expect(pair.b.engine.stats().messages.orderedSkipped).toBe(150);
    for (const side of [pair.a, pair.b]) expect(side.engine.stats().dropped.internalErrors).toBe(0);
  });

  it('settles as expired on the answer when the receiver never had the message, long before its wait runs out', () => {
    const p = handPair();
    // No DATA gets through, control does: the CANCEL is answered (abandoned) a round trip after
    // the deadline, where the sender without an answer would wait sixteen probe timeouts.
    p.self.filterAB = (d) => (p.isData(d) ? 'drop' : 'pass');
    const sentAt = p.self.now;
    const id = p.a.send(new Uint8Array(3000), { deadlineMs: 100 }, sentAt);
    while (p.self.now < sentAt + 3000 && !p.events.a.some((e) => e.type === 'expired')) p.step(1);
    expect(p.events.a.filter((e) => e.type === 'expired').map((e) => e.id)).toEqual([id]);
    expect(p.self.now - sentAt).toBeGreaterThanOrEqual(100 + 50);
    expect(p.self.now - sentAt).toBeLessThan(100 + 3 * 50);
    expect(p.events.b.filter((e) => e.type === 'message')).toEqual([]);
  });
});
