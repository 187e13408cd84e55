import { describe, expect, it } from 'vitest';
import { PduEngine, type EngineStats, type PduEngineOptions, type PduEvent, type SendOptions } from '../../src/engine/index.js';
import { EngineDriver, bundleLossSignal } from '../../src/host/engine-driver.js';
import { encodeBundle, isBundle, splitBundle } from '../../src/host/datagram-bundle.js';
import { WakeTimer } from '../../src/host/wake-timer.js';
import type { CongestionSample } from '../../src/congestion/congestion-report.js';
import type { DatagramChannel } from '../../src/transport/datachannel.js';
import { PacketType } from '../../src/wire/index.js';

/** One end of an in-memory channel: what it sends reaches the other end in a later task. */
class MemoryChannel implements DatagramChannel {
  readonly label = 'pdu';
  readonly open = true;
  readonly highWaterBytes = 256 * 1024;
  peer!: MemoryChannel;
  /** Every channel message sent, as sent (a copy when `copiesOnSend`). */
  readonly sent: Uint8Array[] = [];
  /** Like a W3C RTCDataChannel: `send` copies, so the sender may reuse the memory. */
  copiesOnSend = false;
  /** Sends whose memory an earlier send had used. */
  reusedSends = 0;
  /** What each send held when it was sent. */
  readonly sentBytes: string[] = [];
  /**
   * FIFO lanes this channel offers (none when 0): each pickLane names the next in turn, as a
   * channel whose stripes' room changes between two looks might. The lane of each send.
   */
  lanes = 0;
  readonly sentLanes: (number | undefined)[] = [];
  private nextLane = 0;
  private readonly buffers = new WeakSet<ArrayBufferLike>();
  /** What the receiving side does with a message (default: hand it to the driver). */
  deliver: (message: Uint8Array, handler: (d: Uint8Array) => void) => void = (m, h) => h(m);
  /** Until a driver listens, messages wait here, as the stack adapters hold early datagrams. */
  private early: Uint8Array[] | undefined = [];
  private handler: (d: Uint8Array) => void = (d) => this.early?.push(d);

  whenOpen(): Promise<void> {
    return Promise.resolve();
  }
  queuedBytes(): number {
    return 0;
  }
  setLowWater(): void {}
  pickLane(): number | undefined {
    return this.lanes > 0 ? this.nextLane++ % this.lanes : undefined;
  }
  send(datagram: Uint8Array, lane?: number): void {
    this.sentLanes.push(lane);
    if (this.buffers.has(datagram.buffer)) this.reusedSends++;
    this.buffers.add(datagram.buffer);
    const copy = datagram.slice();
    this.sent.push(this.copiesOnSend ? copy : datagram);
    this.sentBytes.push(Buffer.from(copy).toString('hex'));
    setTimeout(() => this.peer.deliver(copy, this.peer.handler), 0);
  }
  onDatagram(handler: (d: Uint8Array) => void): void {
    this.handler = handler;
    const early = this.early ?? [];
    this.early = undefined;
    for (const d of early) this.deliver(d, handler);
  }
  onWritable(): void {}
  onClose(): void {}
  async sample(): Promise<CongestionSample> {
    return {};
  }
  close(): void {}
}

type Driver = EngineDriver<PduEvent, SendOptions, EngineStats>;

function pair(opts: {
  bundleBytes: [number, number];
  lossRate?: [number | undefined, number | undefined];
  lateResponder?: boolean;
  lanes?: number;
  engine?: Omit<PduEngineOptions, 'role'>;
}) {
  const a = new MemoryChannel();
  const b = new MemoryChannel();
  a.lanes = b.lanes = opts.lanes ?? 0;
  a.peer = b;
  b.peer = a;
  const events: [PduEvent[], PduEvent[]] = [[], []];
  const make = (i: 0 | 1, channel: MemoryChannel): Driver => {
    const engine = new PduEngine({ ...opts.engine, role: i === 0 ? 'initiator' : 'responder' });
    const fixedLoss = opts.lossRate?.[i];
    return new EngineDriver<PduEvent, SendOptions, EngineStats>(engine, channel, {
      sampleIntervalMs: 10,
      bundleBytes: opts.bundleBytes[i],
      lossRate: () => fixedLoss ?? engine.stats().congestion.report.packetLoss,
      onEvent: (e) => events[i].push(e),
    });
  };
  const first = make(0, a);
  // A late responder's driver is made (and hears what came early) only when started.
  const drivers: [Driver, Driver] = [first, opts.lateResponder ? (undefined as unknown as Driver) : make(1, b)];
  return { channels: [a, b] as const, drivers, events, makeResponder: () => (drivers[1] = make(1, b)) };
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Sends `count` messages of `bytes` from side 0 once both are connected; resolves with what side 1 received. */
async function transfer(p: ReturnType<typeof pair>, count: number, bytes: number): Promise<Uint8Array[]> {
  for (const d of p.drivers) d.start();
  await until(() => p.events.every((es) => es.some((e) => e.type === 'connected')));
  // Let a few loss readings pass so the gate has spoken.
  await new Promise((r) => setTimeout(r, 50));
  for (let m = 0; m < count; m++) p.drivers[0].send(new Uint8Array(bytes).fill(m + 1));
  const received = () => p.events[1].filter((e): e is Extract<PduEvent, { type: 'message' }> => e.type === 'message');
  await until(() => received().length === count);
  for (const d of p.drivers) d.stop();
  return received().map((e) => e.data);
}

/** Bundles of two datagrams or more (not probes). */
const multi = (sent: Uint8Array[]) => sent.filter((m) => isBundle(m) && splitBundle(m, () => undefined) > 1);

describe('EngineDriver bundles', () => {
  it('bundles datagrams once the peer has shown it reads bundles, and delivers intact', async () => {
    const p = pair({ bundleBytes: [16 * 1024, 16 * 1024] });
    const got = await transfer(p, 4, 64 * 1024);
    expect(got.map((d) => [d.length, d[0], d[d.length - 1]])).toEqual([1, 2, 3, 4].map((m) => [64 * 1024, m, m]));
    const [a] = p.channels;
    expect(multi(a.sent).length).toBeGreaterThan(0);
    expect(multi(a.sent).every((m) => m.length <= 16 * 1024)).toBe(true);
    // Far fewer channel messages than the ~230 datagrams 256 KiB needs.
    expect(a.sent.length).toBeLessThan(120);
    const stats = p.drivers[0].engine.stats();
    expect(stats.recovery.retransmissions.timeout + stats.recovery.retransmissions.predictive).toBe(0);
  });

  it('seals every datagram of a bundle for the lane the bundle takes', async () => {
    const p = pair({ bundleBytes: [16 * 1024, 16 * 1024], lanes: 3 });
    // The lane each datagram was sealed for, by its bytes.
    const engine = p.drivers[0].engine;
    const poll = engine.pollTransmit.bind(engine);
    const sealedFor = new Map<string, number | undefined>();
    engine.pollTransmit = (now, lane) => {
      const d = poll(now, lane);
      if (d) sealedFor.set(Buffer.from(d).toString('hex'), lane);
      return d;
    };
    await transfer(p, 4, 64 * 1024);
    const [a] = p.channels;
    expect(multi(a.sent).length).toBeGreaterThan(0);
    expect(new Set(a.sentLanes)).toEqual(new Set([0, 1, 2]));
    let checked = 0;
    a.sentBytes.forEach((hex, i) => {
      const message = Buffer.from(hex, 'hex');
      const parts: Uint8Array[] = [];
      if (isBundle(message)) splitBundle(message, (d) => void parts.push(d));
      else parts.push(message);
      // Sealed datagrams only: a handshake datagram may be resent byte for byte on another lane.
      for (const d of parts.filter((x) => x[1] === PacketType.DATA || x[1] === PacketType.CONTROL)) {
        expect(sealedFor.get(Buffer.from(d).toString('hex')), `channel message ${i}`).toBe(a.sentLanes[i]);
        checked++;
      }
    });
    expect(checked).toBeGreaterThan(a.sent.length);
  });

  it('spreads the bundles of one burst over the lanes, each bundle sealed for its own', async () => {
    // A stand-in engine with 60 datagrams of 1000 bytes to send at once, and a channel of three
    // lanes whose choice moves only when it sends, as a striped channel's does.
    const sealedFor: (number | undefined)[] = [];
    let left = 0;
    const engine = {
      connect: () => undefined,
      send: () => '',
      handleDatagram: () => undefined,
      handleTimeout: () => undefined,
      pollTransmit: (_now: number, lane?: number) => {
        if (left === 0) return undefined;
        left--;
        const d = new Uint8Array(1000);
        d[0] = 0x10;
        d[1] = PacketType.DATA;
        new DataView(d.buffer).setUint16(2, sealedFor.length);
        sealedFor.push(lane);
        return d;
      },
      recycleDatagram: () => undefined,
      pollEvent: () => undefined,
      nextTimeout: () => undefined,
      reportCongestionSample: () => undefined,
      stats: () => ({}),
      exportTrace: () => '',
      close: () => undefined,
    };
    const channel = new MemoryChannel();
    channel.lanes = 3;
    channel.peer = new MemoryChannel();
    let stableLane = 0;
    channel.pickLane = () => stableLane;
    const send = channel.send.bind(channel);
    channel.send = (d, lane) => {
      send(d, lane);
      if (lane !== undefined) stableLane = (lane + 1) % 3;
    };
    const driver = new EngineDriver(engine, channel, { sampleIntervalMs: 5, bundleBytes: 16 * 1024, lossRate: () => 0, channelQueueFloorBytes: 256 * 1024, onEvent: () => undefined });
    driver.start();
    // The peer shows it reads bundles; a sample interval lets the loss gate open.
    channel.deliver(encodeBundle([new Uint8Array(8)]), (d) => (channel as unknown as { handler: (d: Uint8Array) => void }).handler(d));
    await new Promise((r) => setTimeout(r, 20));
    left = 60;
    driver.act(() => undefined);
    driver.stop();
    const bundles = channel.sent.map((m, i) => ({ m, lane: channel.sentLanes[i] })).filter(({ m }) => isBundle(m) && splitBundle(m, () => undefined) > 1);
    expect(bundles.length).toBeGreaterThanOrEqual(4);
    expect(new Set(bundles.map((b) => b.lane))).toEqual(new Set([0, 1, 2]));
    for (const { m, lane } of bundles) {
      splitBundle(m, (d) => expect(sealedFor[new DataView(d.buffer, d.byteOffset).getUint16(2)]).toBe(lane));
    }
  });

  it('never bundles towards a peer that does not (an older peer drops bundles)', async () => {
    const p = pair({ bundleBytes: [16 * 1024, 0] });
    // Side 1 behaves like a build without bundles: whatever is a bundle never reaches its engine.
    p.channels[1].deliver = (m, h) => {
      if (!isBundle(m)) h(m);
    };
    const got = await transfer(p, 2, 64 * 1024);
    expect(got.length).toBe(2);
    const [a, b] = p.channels;
    // Only the probes (copies of single datagrams: before contact at most 8, after it 4) went
    // as bundles, and side 1 sent none.
    expect(a.sent.filter(isBundle).length).toBeGreaterThan(0);
    expect(a.sent.filter(isBundle).length).toBeLessThanOrEqual(12);
    expect(multi(a.sent)).toEqual([]);
    expect(b.sent.filter(isBundle)).toEqual([]);
  });

  it('bundles also when the receiving side starts after the first datagrams reached it', async () => {
    const p = pair({ bundleBytes: [16 * 1024, 16 * 1024], lateResponder: true });
    p.drivers[0].start();
    // The initiator's first HELLOs and their probes wait in the responder's channel.
    await until(() => p.channels[0].sent.length >= 2);
    await new Promise((r) => setTimeout(r, 20));
    p.makeResponder();
    p.drivers[1].start();
    await until(() => p.events.every((es) => es.some((e) => e.type === 'connected')));
    await new Promise((r) => setTimeout(r, 50));
    for (let m = 0; m < 4; m++) p.drivers[0].send(new Uint8Array(64 * 1024).fill(m + 1));
    const received = () => p.events[1].filter((e) => e.type === 'message');
    await until(() => received().length === 4);
    for (const d of p.drivers) d.stop();
    // The responder had already heard that the initiator reads bundles; it still announced itself.
    expect(p.channels[1].sent.filter(isBundle).length).toBeGreaterThan(0);
    expect(multi(p.channels[0].sent).length).toBeGreaterThan(0);
  });

  it('sends one datagram per message while the path shows loss', async () => {
    const p = pair({ bundleBytes: [16 * 1024, 16 * 1024], lossRate: [0.01, undefined] });
    await transfer(p, 2, 64 * 1024);
    expect(multi(p.channels[0].sent)).toEqual([]);
    // Not for want of capability: side 1 announced that it reads bundles.
    expect(p.channels[1].sent.filter(isBundle).length).toBeGreaterThan(0);
  });
});

describe('EngineDriver datagram memory', () => {
  it('gives sent datagrams back to the engine only once nothing holds them', async () => {
    for (const copies of [true, false]) {
      for (const bundleBytes of [0, 16 * 1024]) {
        // Full-size datagrams only, the ones the pool keeps: on a loaded event loop the RTT
        // probes read as jitter, and congestion-driven fragments would leave nothing to reuse.
        const p = pair({ bundleBytes: [bundleBytes, bundleBytes], engine: { sharding: { enabled: false } } });
        for (const c of p.channels) c.copiesOnSend = copies;
        const engine = p.drivers[0].engine as PduEngine;
        let recycled = 0;
        const recycle = engine.recycleDatagram.bind(engine);
        engine.recycleDatagram = (d) => {
          recycled++;
          recycle(d);
        };
        const got = await transfer(p, 3, 64 * 1024);
        const where = `copies ${copies}, bundles ${bundleBytes}`;
        expect(got.map((d) => [d.length, d[0], d[d.length - 1]]), where).toEqual([1, 2, 3].map((m) => [64 * 1024, m, m]));
        const [a] = p.channels;
        // Datagrams go back after a copying send, or once copied into a bundle.
        if (copies || bundleBytes > 0) expect(recycled, where).toBeGreaterThan(20);
        else expect(recycled, where).toBe(0);
        // Without bundles the channel sees the engine write into memory it sent before.
        if (bundleBytes === 0) expect(a.reusedSends > 20, where).toBe(copies);
        // Nothing a non-copying channel still holds was written over.
        expect(a.sent.findIndex((m, i) => Buffer.from(m).toString('hex') !== a.sentBytes[i]), where).toBe(-1);
      }
    }
  });
});

describe('bundleLossSignal', () => {
  it('reads as full loss until the session has sent a few hundred datagrams', () => {
    const engine = new PduEngine({ role: 'initiator' });
    expect(bundleLossSignal(engine)()).toBe(1);
    const stats = engine.stats();
    const seasoned = { stats: () => ({ ...stats, traffic: { ...stats.traffic, datagramsSent: 300 } }) };
    expect(bundleLossSignal(seasoned)()).toBe(0);
  });
});

describe('PduEngine and bundles', () => {
  it('drops a bundle it cannot read without failing the session', () => {
    const a = new PduEngine({ role: 'initiator' });
    const b = new PduEngine({ role: 'responder' });
    a.connect(0);
    b.connect(0);
    // The driver's probe: the HELLO, then a copy of it as a one-datagram bundle.
    const hello = a.pollTransmit(0)!;
    b.handleDatagram(hello, 1);
    b.handleDatagram(encodeBundle([hello]), 1);
    let now = 1;
    for (let i = 0; i < 20; i++) {
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        from.handleTimeout(now);
        for (let d = from.pollTransmit(now); d; d = from.pollTransmit(now)) {
          to.handleDatagram(d, now);
          // Every datagram also arrives as a bundle an older build cannot read.
          to.handleDatagram(encodeBundle([d]), now);
        }
      }
      now += 10;
    }
    expect(a.stats().state).toBe('established');
    expect(b.stats().state).toBe('established');
  });
});

describe('WakeTimer', () => {
  it('soon() runs once in a later task, and a pending soon() is not repeated', async () => {
    let fired = 0;
    const t = new WakeTimer(() => fired++);
    t.soon();
    t.soon();
    expect(fired).toBe(0);
    await new Promise((r) => setTimeout(r, 5));
    expect(fired).toBe(1);
    t.soon();
    t.cancel();
    await new Promise((r) => setTimeout(r, 5));
    expect(fired).toBe(1);
  });

  it('fires once, can be re-armed and cancelled', async () => {
    let fired = 0;
    const t = new WakeTimer(() => fired++);
    t.arm(1);
    expect(t.armed).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(1);
    expect(t.armed).toBe(false);
    t.arm(5);
    t.cancel();
    t.arm(1);
    t.arm(2);
    await new Promise((r) => setTimeout(r, 30));
    expect(fired).toBe(2);
    t.arm(1);
    t.dispose();
    await new Promise((r) => setTimeout(r, 20));
    expect(fired).toBe(2);
  });
});
