import { describe, expect, it } from 'vitest';
import type { CongestionSample } from '../../src/congestion/congestion-report.js';
import { PduEngine, type EngineStats, type PduEvent, type SendOptions } from '../../src/engine/index.js';
import { EngineDriver } from '../../src/host/engine-driver.js';
import type { LaneHold } from '../../src/engine/lane-log.js';
import { LaneBacklogWatch } from '../../src/host/lane-backlog.js';
import type { DatagramChannel, LaneBacklog } from '../../src/transport/datachannel.js';

/** Just the part of a channel LaneBacklogWatch reads. */
function backlogs(byLane: (LaneBacklog | undefined)[]): DatagramChannel {
  return { laneBacklog: (lane: number) => byLane[lane] } as unknown as DatagramChannel;
}

function watch(): { w: LaneBacklogWatch; check: (channel: DatagramChannel) => { holding: boolean; reports: number[][] } } {
  const w = new LaneBacklogWatch();
  return {
    w,
    check(channel) {
      const held: LaneHold[] = [];
      const holding = w.check(channel, held);
      return { holding, reports: held.map((h) => [h.lane, h.from, h.to]) };
    },
  };
}

describe('LaneBacklogWatch', () => {
  it("names the datagrams past a lane's departed bytes, counting a bundle's datagrams and a probe copy's none", () => {
    const { w, check } = watch();
    // Lane 0: datagrams 0, 1 alone (100 bytes each), then 2 and 3 in one bundle of 250, then a
    // probe copy of 50 bytes that carries no datagram of its own.
    w.onSent(0, 100, 1);
    w.onSent(0, 100, 1);
    w.onSent(0, 250, 2);
    w.onSent(0, 50, 0);
    // Lane 2: one datagram.
    w.onSent(2, 80, 1);
    expect(check(backlogs([{ departedBytes: 100, knownBytes: 500 }, undefined, { departedBytes: 0, knownBytes: 80 }]))).toEqual({
      holding: true,
      reports: [
        [0, 1, 4],
        [2, 0, 1],
      ],
    });
    // The bundle left: only the probe copy waits, and it holds no datagram.
    expect(check(backlogs([{ departedBytes: 450, knownBytes: 500 }, undefined, { departedBytes: 80, knownBytes: 80 }]))).toEqual({
      holding: false,
      reports: [],
    });
    expect(check(backlogs([{ departedBytes: 500, knownBytes: 500 }]))).toEqual({ holding: false, reports: [] });
    // Numbering goes on where it was.
    w.onSent(0, 100, 1);
    expect(check(backlogs([{ departedBytes: 500, knownBytes: 600 }])).reports).toEqual([[0, 4, 5]]);
  });

  it('numbers a bundle by the datagrams it carries, however the driver gathered them', () => {
    const { w, check } = watch();
    // A bundle of three goes out after its datagrams were polled one by one, then a datagram alone.
    w.onSent(0, 300, 3);
    w.onSent(0, 100, 1);
    expect(check(backlogs([{ departedBytes: 300, knownBytes: 400 }])).reports).toEqual([[0, 3, 4]]);
  });

  it("names a relay's lane busy while its last report does not cover every send: what it was given may be held", () => {
    const { w, check } = watch();
    for (let i = 0; i < 3; i++) w.onSent(1, 100, 1);
    // The host had seen two sends and sent neither; the third was still on its way to the host.
    const held: LaneHold[] = [];
    expect(w.check(backlogs([undefined, { departedBytes: 0, knownBytes: 200 }]), held)).toBe(true);
    expect(held).toEqual([{ lane: 1, from: 0, to: 2, busy: true }]);
    // It had seen none: nothing is known held, but the lane is not free either.
    held.length = 0;
    expect(w.check(backlogs([undefined, { departedBytes: 0, knownBytes: 0 }]), held)).toBe(true);
    expect(held).toEqual([{ lane: 1, from: 0, to: 0, busy: true }]);
    // All three sent: free, with the room the host told.
    held.length = 0;
    expect(w.check(backlogs([undefined, { departedBytes: 300, knownBytes: 300, room: 5000 }]), held)).toBe(false);
    expect(held).toEqual([{ lane: 1, from: 3, to: 3, room: 5000 }]);
  });

  it('names a lane whose stack has no room busy, whether or not it holds anything, and tells a free lane its room', () => {
    const { w } = watch();
    for (const lane of [0, 1]) w.onSent(lane, 100, 1);
    const seen = (room: number) => {
      const held: LaneHold[] = [];
      const holding = w.check(backlogs([{ departedBytes: 100, knownBytes: 100, room }, { departedBytes: 0, knownBytes: 100, room }]), held);
      return { holding, held };
    };
    expect(seen(0)).toEqual({
      holding: true,
      held: [
        { lane: 0, from: 1, to: 1, busy: true },
        { lane: 1, from: 0, to: 1, busy: true },
      ],
    });
    expect(seen(2000)).toEqual({
      holding: true,
      held: [
        { lane: 0, from: 1, to: 1, room: 2000 },
        { lane: 1, from: 0, to: 1 },
      ],
    });
  });

  it('names a lane busy whose stack tells a room that is no number', () => {
    const { w } = watch();
    w.onSent(0, 100, 1);
    for (const room of [Number.NaN, Number.POSITIVE_INFINITY]) {
      const held: LaneHold[] = [];
      w.check(backlogs([{ departedBytes: 100, knownBytes: 100, room }]), held);
      expect(held).toEqual([{ lane: 0, from: 1, to: 1, busy: true }]);
    }
  });

  it('stops watching a lane whose channel cannot tell, and keeps memory bounded', () => {
    const { w, check } = watch();
    for (let i = 0; i < 10_000; i++) w.onSent(0, 10, 1);
    // At most 4096 sends are remembered: the oldest count as gone.
    expect(check(backlogs([{ departedBytes: 0, knownBytes: 100_000 }])).reports).toEqual([[0, 10_000 - 4096, 10_000]]);
    expect(check(backlogs([undefined]))).toEqual({ holding: false, reports: [] });
    expect(check(backlogs([{ departedBytes: 0, knownBytes: 100_000 }]))).toEqual({ holding: false, reports: [] });
  });
});

/**
 * One-way delay: a round trip far above the driver's backlog checks (BACKLOG_CHECK_MS) and timer
 * jitter, since what is judged is whether an ACK beats 9/8 of a round trip.
 */
const ONE_WAY_MS = 100;
/** A window's wait: less than a round trip (what the engine credits a held datagram at most). */
const HOLD_MS = 150;

/**
 * Two lanes between two drivers, ONE_WAY_MS apart. While `holdLane` is set, what is sent on that
 * lane waits in its queue (counted in queuedBytes and laneBacklog, as a stripe's SCTP queue
 * behind its window) until `release`.
 */
class HoldingChannel implements DatagramChannel {
  readonly label = 'pdu';
  readonly open = true;
  readonly highWaterBytes = 256 * 1024;
  peer!: HoldingChannel;
  holdLane: number | undefined;
  /** Tell the driver what waits (laneBacklog); false: a stack that cannot. */
  tells = true;
  private readonly sentBytes = [0, 0];
  private held: Uint8Array[] = [];
  private heldBytes = 0;
  private nextLane = 0;
  private handler: (d: Uint8Array) => void = () => undefined;

  whenOpen(): Promise<void> {
    return Promise.resolve();
  }
  queuedBytes(): number {
    return this.heldBytes;
  }
  setLowWater(): void {}
  /** In turn, but not a lane that holds anything while the other does not (a StripedChannel picks the fewest queued bytes). */
  pickLane(): number {
    const lane = this.nextLane++ % 2;
    return lane === this.holdLane && this.heldBytes > 0 ? 1 - lane : lane;
  }
  get laneBacklog(): ((lane: number) => LaneBacklog | undefined) | undefined {
    if (!this.tells) return undefined;
    return (lane) => ({ departedBytes: this.sentBytes[lane]! - (lane === this.holdLane ? this.heldBytes : 0), knownBytes: this.sentBytes[lane]! });
  }
  send(datagram: Uint8Array, lane = 0): void {
    const copy = datagram.slice();
    this.sentBytes[lane]! += copy.byteLength;
    // Only full datagrams wait: a fragment, not an ACK the engine may send meanwhile.
    if (lane === this.holdLane && copy.byteLength >= 1000) {
      this.held.push(copy);
      this.heldBytes += copy.byteLength;
      return;
    }
    setTimeout(() => this.peer.handler(copy), ONE_WAY_MS);
  }
  release(): void {
    this.holdLane = undefined;
    for (const d of this.held) setTimeout(() => this.peer.handler(d), ONE_WAY_MS);
    this.held = [];
    this.heldBytes = 0;
  }
  onDatagram(handler: (d: Uint8Array) => void): void {
    this.handler = handler;
  }
  onWritable(): void {}
  onClose(): void {}
  async sample(): Promise<CongestionSample> {
    return {};
  }
  close(): void {}
}

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * One message whose first datagrams on lane 1 wait HOLD_MS in that lane's queue: how long it took
 * to arrive, and what side 0's engine resent.
 */
async function heldTransfer(tells: boolean): Promise<{ delivered: number; ms: number; resent: number; held: number; spurious: number }> {
  const a = new HoldingChannel();
  const b = new HoldingChannel();
  a.peer = b;
  b.peer = a;
  a.tells = tells;
  const events: PduEvent[][] = [[], []];
  const drivers = [a, b].map(
    (channel, i) =>
      new EngineDriver<PduEvent, SendOptions, EngineStats>(new PduEngine({ role: i === 0 ? 'initiator' : 'responder' }), channel, {
        sampleIntervalMs: 50,
        onEvent: (e) => events[i]!.push(e),
      }),
  );
  for (const d of drivers) d.start();
  await until(() => events.every((es) => es.some((e) => e.type === 'connected')));
  // A few round trips so the loss timers know the path.
  await new Promise((r) => setTimeout(r, 1000));
  // Lane 1 takes the second datagram of the four and holds it; the rest go on lane 0.
  a.holdLane = 1;
  const sentAt = performance.now();
  drivers[0]!.send(new Uint8Array(4 * 1024).fill(7), { ordered: false });
  setTimeout(() => a.release(), HOLD_MS);
  await until(() => events[1]!.some((e) => e.type === 'message'));
  const ms = performance.now() - sentAt;
  // Long enough for the released originals' ACKs to show any resend needless.
  await new Promise((r) => setTimeout(r, 3 * ONE_WAY_MS));
  const stats = drivers[0]!.engine.stats();
  for (const d of drivers) d.stop();
  return {
    delivered: events[1]!.filter((e) => e.type === 'message').length,
    ms,
    resent: stats.recovery.retransmissions.timeout,
    held: stats.recovery.retransmissions.held,
    spurious: stats.recovery.retransmissions.spurious,
  };
}

describe('EngineDriver with a lane whose stack holds datagrams', () => {
  it('sends a held datagram again on the free lane when the channel tells its backlog, and waits for the hold or a loss timer when it cannot', async () => {
    // Told: an eighth of a round trip after the send the held fragment goes again on lane 0, and
    // the message arrives a one-way trip later; the original, released later, is no loss.
    const told = await heldTransfer(true);
    expect(told).toMatchObject({ delivered: 1, held: 1, resent: 1, spurious: 0 });
    // Untold: the held datagram arrives once released, or its resend 9/8 of a round trip after
    // the send, whichever first.
    const untold = await heldTransfer(false);
    expect(untold).toMatchObject({ delivered: 1, held: 0 });
    expect(told.ms).toBeLessThan(HOLD_MS + ONE_WAY_MS - 50);
    expect(untold.ms).toBeGreaterThan(HOLD_MS + ONE_WAY_MS - 10);
  });
});

describe('EngineDriver watching a lane that never lets go', () => {
  it('stops looking at its backlog once nothing held is young enough to gain from it', async () => {
    const a = new HoldingChannel();
    const b = new HoldingChannel();
    a.peer = b;
    b.peer = a;
    const events: PduEvent[][] = [[], []];
    const engines = [0, 1].map((i) => new PduEngine({ role: i === 0 ? 'initiator' : 'responder' }));
    let reports = 0;
    const report = engines[0]!.reportLaneBacklog.bind(engines[0]);
    engines[0]!.reportLaneBacklog = (held, now) => {
      reports++;
      return report(held, now);
    };
    const drivers = [a, b].map(
      (channel, i) => new EngineDriver<PduEvent, SendOptions, EngineStats>(engines[i]!, channel, { sampleIntervalMs: 50, onEvent: (e) => events[i]!.push(e) }),
    );
    for (const d of drivers) d.start();
    await until(() => events.every((es) => es.some((e) => e.type === 'connected')));
    await new Promise((r) => setTimeout(r, 1000));
    a.holdLane = 1;
    drivers[0]!.send(new Uint8Array(4 * 1024).fill(7), { ordered: false });
    // The held fragment's copy delivers the message; the original stays held for good.
    await until(() => events[1]!.some((e) => e.type === 'message'));
    const whileYoung = reports;
    // Past three round trips: only the peer's and the engine's own rare datagrams wake the driver now.
    await new Promise((r) => setTimeout(r, 6 * ONE_WAY_MS));
    const before = reports;
    await new Promise((r) => setTimeout(r, 1000));
    const quiet = reports - before;
    for (const d of drivers) d.stop();
    expect(whileYoung).toBeGreaterThan(3);
    // Every 3 ms that would be over 300.
    expect(quiet).toBeLessThan(30);
  });
});
