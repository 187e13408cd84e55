import { describe, expect, it } from 'vitest';
import type { CongestionSample } from '../../src/congestion/congestion-report.js';
import { PduEngine, type EngineStats, type PduEngineOptions, type PduEvent, type SendOptions } from '../../src/engine/index.js';
import { EngineDriver } from '../../src/host/engine-driver.js';
import { chooseLane, type DatagramChannel, type LaneBacklog } from '../../src/transport/datachannel.js';
import { PacketType } from '../../src/wire/index.js';
import { StripedChannel } from '../../src/transport/striped-channel.js';

/** One end of an in-memory stripe: what it sends reaches the other end after `delayMs`. */
class MemoryStripe implements DatagramChannel {
  readonly label = 'pdu';
  open = true;
  queue = 0;
  highWaterBytes = 64 * 1024;
  lowWater: number | undefined;
  delayMs = 0;
  closed = 0;
  /** Loses a datagram on the way when this says so. */
  lose: (d: Uint8Array) => boolean = () => false;
  peer: MemoryStripe | undefined;
  readonly sent: Uint8Array[] = [];
  sampleValue: CongestionSample = {};
  sendRoom: (() => number) | undefined;
  laneBacklog: ((lane: number) => LaneBacklog | undefined) | undefined;
  private handler: ((d: Uint8Array) => void) | undefined;
  private early: Uint8Array[] = [];
  private readonly writable: Array<() => void> = [];
  private readonly closeHandlers: Array<() => void> = [];

  whenOpen(): Promise<void> {
    return this.open ? Promise.resolve() : new Promise((resolve) => setTimeout(() => ((this.open = true), resolve()), 5));
  }
  queuedBytes(): number {
    return this.queue;
  }
  setLowWater(bytes: number): void {
    this.lowWater = bytes;
  }
  send(datagram: Uint8Array): void {
    const copy = datagram.slice();
    this.sent.push(copy);
    const peer = this.peer;
    if (peer && !this.lose(copy)) setTimeout(() => peer.deliver(copy), this.delayMs);
  }
  deliver(d: Uint8Array): void {
    if (this.handler) this.handler(d);
    else this.early.push(d);
  }
  onDatagram(handler: (d: Uint8Array) => void): void {
    this.handler = handler;
    for (const d of this.early.splice(0)) handler(d);
  }
  onWritable(handler: () => void): void {
    this.writable.push(handler);
  }
  fireWritable(): void {
    for (const h of this.writable) h();
  }
  onClose(handler: () => void): void {
    this.closeHandlers.push(handler);
  }
  async sample(): Promise<CongestionSample> {
    return this.sampleValue;
  }
  close(): void {
    this.closed++;
    this.open = false;
    for (const h of this.closeHandlers) h();
  }
}

const stripes = (n: number) => Array.from({ length: n }, () => new MemoryStripe());
const d = (byte: number) => new Uint8Array(100).fill(byte);

/**
 * Two PDU engines, each driven over a StripedChannel of `n` in-memory stripes joined pairwise,
 * stripe i delaying `delayMs(i)` each way; `until` polls a condition for up to 10 s.
 */
function stripedSession(n: number, delayMs: (i: number) => number, recovery: NonNullable<PduEngineOptions['recovery']>) {
  const [a, b] = [stripes(n), stripes(n)];
  for (let i = 0; i < n; i++) {
    a[i]!.peer = b[i]!;
    b[i]!.peer = a[i]!;
    a[i]!.delayMs = b[i]!.delayMs = delayMs(i);
  }
  const events: [PduEvent[], PduEvent[]] = [[], []];
  const engines = [0, 1].map((i) => new PduEngine({ role: i === 0 ? 'initiator' : 'responder', recovery }));
  const drivers = ([a, b] as const).map(
    (side, i) =>
      new EngineDriver<PduEvent, SendOptions, EngineStats>(engines[i]!, new StripedChannel(side), {
        sampleIntervalMs: 10,
        onEvent: (e) => events[i as 0 | 1].push(e),
      }),
  );
  for (const drv of drivers) drv.start();
  const until = async (check: () => boolean) => {
    const start = Date.now();
    while (!check()) {
      if (Date.now() - start > 10_000) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { a, engines, drivers, events, until };
}

describe('StripedChannel', () => {
  it('spreads datagrams round-robin over idle stripes', () => {
    const s = stripes(3);
    const ch = new StripedChannel(s);
    for (let i = 0; i < 7; i++) ch.send(d(i));
    expect(s.map((x) => x.sent.map((m) => m[0]))).toEqual([[0, 3, 6], [1, 4], [2, 5]]);
  });

  it('sends to the stripe with the fewest queued bytes, and skips stripes that are not open', () => {
    const s = stripes(3);
    const ch = new StripedChannel(s);
    s[0]!.queue = 500;
    s[1]!.queue = 100;
    s[2]!.queue = 300;
    ch.send(d(1));
    expect(s[1]!.sent.length).toBe(1);
    s[1]!.open = false;
    ch.send(d(2));
    expect(s[2]!.sent.length).toBe(1);
    expect(ch.open).toBe(false);
  });

  it('sends to the stripe with the most room when every stripe tells its room', () => {
    const s = stripes(3);
    const room = [1000, 4000, 2000];
    s.forEach((stripe, i) => (stripe.sendRoom = () => room[i]!));
    // Stripe 1 holds the most queued bytes, yet has the most room.
    s[1]!.queue = 5000;
    const ch = new StripedChannel(s);
    ch.send(d(1));
    expect(s[1]!.sent.length).toBe(1);
    room[1] = 0;
    ch.send(d(2));
    expect(s[2]!.sent.length).toBe(1);
    // One stripe that cannot tell: back to the fewest queued bytes.
    s[0]!.sendRoom = undefined;
    new StripedChannel(s).send(d(3));
    expect(s[0]!.sent.length).toBe(1);
  });

  it('is a FIFO lane per stripe: pickLane names the stripe send would choose, and send honours a lane given', () => {
    const s = stripes(3);
    const ch = new StripedChannel(s);
    s[0]!.queue = 500;
    s[2]!.queue = 300;
    expect(ch.pickLane()).toBe(1);
    expect(ch.laneLoads()).toEqual([
      { open: true, queuedBytes: 500, sentBytes: 0 },
      { open: true, queuedBytes: 0, sentBytes: 0 },
      { open: true, queuedBytes: 300, sentBytes: 0 },
    ]);
    ch.send(d(1), 2);
    expect(s[2]!.sent.length).toBe(1);
    // A lane the channel does not have: it picks one itself.
    ch.send(d(2), 7);
    expect(s[1]!.sent.length).toBe(1);
    expect(ch.laneLoads().map((l) => l.sentBytes)).toEqual([0, d(2).length, d(1).length]);
    expect(() => new StripedChannel(stripes(65))).toThrow(/at most 64/);
  });

  it("tells each lane's backlog from what it sent there and the stripe's queue, where the stripes can tell theirs", () => {
    const s = stripes(2);
    // A stripe's own figure is not read: the striped channel counts its sends itself.
    for (const stripe of s) stripe.laneBacklog = () => ({ departedBytes: -1, knownBytes: -1 });
    const ch = new StripedChannel(s);
    for (let i = 0; i < 3; i++) ch.send(new Uint8Array(100), 1);
    s[1]!.queue = 120;
    expect(ch.laneBacklog(1)).toEqual({ departedBytes: 180, knownBytes: 300 });
    expect(ch.laneBacklog(0)).toEqual({ departedBytes: 0, knownBytes: 0 });
    expect(ch.laneBacklog(2)).toBeUndefined();
    s[0]!.laneBacklog = undefined;
    expect(new StripedChannel(s).laneBacklog(0)).toBeUndefined();
  });

  it('chooseLane: most room where every lane tells it, else fewest queued; open lanes only; ties from start', () => {
    const idle = { open: true, queuedBytes: 0 };
    expect(chooseLane([idle, idle, idle], 1)).toBe(1);
    expect(chooseLane([idle, idle, idle], 4)).toBe(1);
    expect(chooseLane([{ open: true, queuedBytes: 9 }, { open: false, queuedBytes: 0 }, { open: true, queuedBytes: 3 }], 0)).toBe(2);
    expect(chooseLane([{ open: true, queuedBytes: 9, room: 5000 }, { open: true, queuedBytes: 0, room: 100 }], 1)).toBe(0);
    // One lane without a room figure: queues decide.
    expect(chooseLane([{ open: true, queuedBytes: 9, room: 5000 }, { open: true, queuedBytes: 0 }], 0)).toBe(1);
  });

  it('merges what arrives on every stripe', () => {
    const s = stripes(3);
    const ch = new StripedChannel(s);
    s[2]!.deliver(d(9)); // before anyone listens: held by the stripe
    const got: number[] = [];
    ch.onDatagram((m) => got.push(m[0]!));
    s[0]!.deliver(d(1));
    s[1]!.deliver(d(2));
    expect(got.sort()).toEqual([1, 2, 9]);
  });

  it('sums queue and high-water mark, and fires writable once the sum has drained', () => {
    const s = stripes(2);
    const ch = new StripedChannel(s);
    expect(ch.highWaterBytes).toBe(128 * 1024);
    ch.setLowWater(1000);
    expect(s.map((x) => x.lowWater)).toEqual([500, 500]);
    let fired = 0;
    ch.onWritable(() => fired++);
    s[0]!.queue = 400;
    s[1]!.queue = 900;
    expect(ch.queuedBytes()).toBe(1300);
    s[0]!.fireWritable();
    expect(fired).toBe(0);
    s[1]!.queue = 300;
    s[1]!.fireWritable();
    expect(fired).toBe(1);
  });

  it('opens when every stripe has, closes all, and reports close once', async () => {
    const s = stripes(2);
    s[1]!.open = false;
    const ch = new StripedChannel(s);
    expect(ch.open).toBe(false);
    await ch.whenOpen();
    expect(ch.open).toBe(true);
    let closes = 0;
    ch.onClose(() => closes++);
    ch.close();
    expect(s.map((x) => x.closed)).toEqual([1, 1]);
    expect(closes).toBe(1);
  });

  it('merges samples: queue and window summed, RTT averaged', async () => {
    const s = stripes(3);
    s[0]!.sampleValue = { queueBytes: 100, rttMs: 50, transportCwndBytes: 4800 };
    s[1]!.sampleValue = { queueBytes: 200, rttMs: 70, transportCwndBytes: 3600 };
    s[2]!.sampleValue = { queueBytes: 0 };
    expect(await new StripedChannel(s).sample()).toEqual({ queueBytes: 300, rttMs: 60, transportCwndBytes: 8400 });
  });

  it('carries a PDU session whose stripes reorder datagrams', async () => {
    // Stripe i is i * 3 ms slower each way: datagrams cross over.
    const { a, drivers, events, until } = stripedSession(3, (i) => i * 3, { packetThreshold: 16 });
    await until(() => events.every((es) => es.some((e) => e.type === 'connected')));
    for (let m = 0; m < 4; m++) drivers[0]!.send(new Uint8Array(16 * 1024).fill(m + 1));
    const messages = () => events[1].filter((e): e is Extract<PduEvent, { type: 'message' }> => e.type === 'message');
    await until(() => messages().length === 4);
    await new Promise((r) => setTimeout(r, 50)); // resent copies still on their way
    for (const drv of drivers) drv.stop();
    expect(messages().map((e) => [e.data.length, e.data[0]]).sort()).toEqual([1, 2, 3, 4].map((m) => [16 * 1024, m]));
    // Every stripe carried part of it.
    expect(a.every((x) => x.sent.length > 3)).toBe(true);
    // Reordering by several RTTs (the in-memory RTT is about a millisecond) costs resends, but
    // each message is delivered once.
    expect(events[1].filter((e) => e.type === 'message').length).toBe(4);
  });

  it("tells the engine each datagram's stripe, so a loss is found from a later datagram on that stripe", async () => {
    // With the count and time thresholds set far out, the lane rule is the only quick way to
    // find a loss.
    const { a, engines, drivers, events, until } = stripedSession(2, () => 0, { timeThreshold: 1000 / 60, packetThreshold: 60 });
    // Stripe 0 loses one DATA datagram from the middle of the first message.
    let dataSeen = 0;
    a[0]!.lose = (m) => m[1] === PacketType.DATA && ++dataSeen === 3;
    await until(() => events.every((es) => es.some((e) => e.type === 'connected')));
    drivers[0]!.send(new Uint8Array(16 * 1024).fill(7));
    await until(() => events[1].some((e) => e.type === 'message'));
    for (const drv of drivers) drv.stop();
    const recovery = engines[0]!.stats().recovery;
    expect(dataSeen).toBeGreaterThan(3);
    expect(recovery.retransmissions.lane).toBe(1);
    expect(recovery.retransmissions.spurious).toBe(0);
    expect(recovery.untrustedLanes).toBe(0);
  });
});
