import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DatagramChannel } from '../../src/transport/datachannel.js';
import { ImpairedChannel, lossSpecFor } from '../../src/transport/impaired-channel.js';
import { parseLossSpec } from '../../src/transport/loss-models.js';

/** A channel that records what reaches it, with a queue the test sets. */
class RecordingChannel implements DatagramChannel {
  readonly label = 'pdu';
  open = true;
  queue = 0;
  readonly sent: Array<{ seq: number; at: number; bytes: Uint8Array; lane?: number }> = [];
  /** Lanes this channel offers (none when undefined). */
  lanes: number | undefined;
  private writable: Array<() => void> = [];
  constructor(readonly highWaterBytes = 1 << 20) {}
  whenOpen = () => Promise.resolve();
  lowWater = 0;
  queuedBytes = () => this.queue;
  setLowWater(bytes: number): void {
    this.lowWater = bytes;
  }
  /** Per lane, bytes sent on it: none queue, so all have left. */
  readonly laneSent: number[] = [];
  send(datagram: Uint8Array, lane?: number): void {
    if (lane !== undefined) this.laneSent[lane] = (this.laneSent[lane] ?? 0) + datagram.byteLength;
    this.sent.push({ seq: new DataView(datagram.buffer, datagram.byteOffset).getUint32(0), at: Date.now(), bytes: datagram, ...(lane !== undefined ? { lane } : {}) });
  }
  pickLane = () => (this.lanes === undefined ? undefined : this.lanes - 1);
  laneLoads = () => (this.lanes === undefined ? undefined : Array.from({ length: this.lanes }, (_, i) => ({ open: true, queuedBytes: 0, sentBytes: this.laneSent[i] ?? 0 })));
  laneBacklog = (lane: number) => (this.lanes === undefined ? undefined : { departedBytes: this.laneSent[lane] ?? 0, knownBytes: this.laneSent[lane] ?? 0 });
  onDatagram(): void {}
  onWritable(handler: () => void): void {
    this.writable.push(handler);
  }
  onClose(): void {}
  sample = async () => ({ queueBytes: this.queue, rttMs: 7 });
  close(): void {
    this.open = false;
  }
}

function datagram(seq: number, size = 1000): Uint8Array {
  const bytes = new Uint8Array(size);
  new DataView(bytes.buffer).setUint32(0, seq);
  return bytes;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

/** The fake timers' clock drives both the channel's timers and its notion of now. */
const impaired = (inner: DatagramChannel) => new ImpairedChannel(inner, () => Date.now());

describe('ImpairedChannel', () => {
  it('passes datagrams straight through while off', () => {
    const inner = new RecordingChannel();
    const ch = impaired(inner);
    const d = datagram(1);
    inner.queue = 500;
    ch.send(d);
    expect(inner.sent[0]?.bytes).toBe(d);
    expect(ch.queuedBytes()).toBe(500);
    expect(vi.getTimerCount()).toBe(0);
  });

  it("offers the inner channel's lanes only while off: the link in between does not keep them", () => {
    const inner = new RecordingChannel();
    inner.lanes = 3;
    const ch = impaired(inner);
    expect(ch.pickLane()).toBe(2);
    expect(ch.laneLoads()).toHaveLength(3);
    ch.send(datagram(1), 2);
    expect(inner.sent[0]?.lane).toBe(2);
    ch.impair({ loss: 'none', delayMs: 10 });
    expect(ch.pickLane()).toBeUndefined();
    expect(ch.laneLoads()).toBeUndefined();
    ch.impair(null);
    expect(ch.pickLane()).toBe(2);
  });

  it("leaves what the link sent on a lane out of the lane's counts, which number only the sender's own", () => {
    const inner = new RecordingChannel();
    inner.lanes = 3;
    const ch = impaired(inner);
    ch.send(datagram(1, 100), 2);
    ch.impair({ delayMs: 10 });
    expect(ch.laneBacklog(2)).toBeUndefined();
    ch.send(datagram(2, 300));
    vi.advanceTimersByTime(10);
    // The link picked the inner channel's lane for it.
    expect(inner.sent[1]?.lane).toBe(2);
    ch.impair(null);
    ch.send(datagram(3, 50), 2);
    expect(inner.laneSent[2]).toBe(450);
    expect(ch.laneBacklog(2)).toEqual({ departedBytes: 150, knownBytes: 150 });
    expect(ch.laneLoads()?.[2]?.sentBytes).toBe(150);
    expect(ch.laneBacklog(0)).toEqual({ departedBytes: 0, knownBytes: 0 });
  });

  it('lets the sender reuse datagram memory only while off and over a copying channel', () => {
    const inner = new RecordingChannel();
    const ch = impaired(inner);
    expect(ch.copiesOnSend).toBe(false);
    (inner as { copiesOnSend?: boolean }).copiesOnSend = true;
    expect(ch.copiesOnSend).toBe(true);
    ch.impair({ delayMs: 10 });
    expect(ch.copiesOnSend).toBe(false);
    ch.impair(null);
    expect(ch.copiesOnSend).toBe(true);
  });

  it('drops about the configured share under Bernoulli loss, without a timer or added delay', () => {
    const inner = new RecordingChannel();
    const ch = impaired(inner);
    ch.impair({ loss: 'bern:0.05', seed: 3 });
    for (let i = 0; i < 20_000; i++) ch.send(datagram(i, 100));
    const lost = 1 - inner.sent.length / 20_000;
    expect(lost).toBeGreaterThan(0.045);
    expect(lost).toBeLessThan(0.055);
    expect(vi.getTimerCount()).toBe(0);
    expect(ch.counters?.lostPackets).toBe(20_000 - inner.sent.length);
  });

  it('holds each datagram for the delay on the real clock, in order', () => {
    const inner = new RecordingChannel();
    const ch = impaired(inner);
    ch.impair({ delayMs: 50 });
    ch.send(datagram(1));
    vi.advanceTimersByTime(10);
    ch.send(datagram(2));
    vi.advanceTimersByTime(39);
    expect(inner.sent).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(inner.sent.map((s) => [s.seq, s.at])).toEqual([[1, 50]]);
    vi.advanceTimersByTime(10);
    expect(inner.sent.map((s) => [s.seq, s.at])).toEqual([
      [1, 50],
      [2, 60],
    ]);
  });

  it('paces to the rate cap, counts its queue as the channel queue, and says when it drains', async () => {
    const inner = new RecordingChannel(4000);
    const ch = impaired(inner);
    const writable = vi.fn();
    ch.onWritable(writable);
    // 1000-byte datagrams at 800 kbit/s: one every 10 ms.
    ch.impair({ rateBitsPerSecond: 800_000 });
    for (let i = 0; i < 4; i++) ch.send(datagram(i));
    expect(ch.queuedBytes()).toBe(4000);
    expect((await ch.sample()).queueBytes).toBe(4000);
    vi.advanceTimersByTime(40);
    expect(inner.sent.map((s) => s.at)).toEqual([10, 20, 30, 40]);
    expect(ch.queuedBytes()).toBe(0);
    expect(writable).toHaveBeenCalled();
  });

  it('wakes a sender held back by the rate cap when the impairment is turned off', () => {
    const inner = new RecordingChannel(4000);
    const ch = impaired(inner);
    const writable = vi.fn();
    ch.onWritable(writable);
    ch.impair({ rateBitsPerSecond: 8_000 });
    for (let i = 0; i < 4; i++) ch.send(datagram(i));
    expect(ch.queuedBytes()).toBe(4000);
    ch.impair(null);
    expect(inner.sent).toHaveLength(4);
    expect(writable).toHaveBeenCalledTimes(1);
  });

  it('changes impairment at run time and, turned off, sends what it still holds at once', () => {
    const inner = new RecordingChannel();
    const ch = impaired(inner);
    ch.impair({ loss: 'bern:1' });
    ch.send(datagram(1));
    expect(inner.sent).toHaveLength(0);
    ch.impair({ delayMs: 1000 });
    ch.send(datagram(2));
    expect(ch.impairment?.loss.meanLoss()).toBe(0);
    ch.impair(null);
    expect(inner.sent.map((s) => s.seq)).toEqual([2]);
    expect(vi.getTimerCount()).toBe(0);
    ch.send(datagram(3));
    expect(inner.sent.map((s) => s.seq)).toEqual([2, 3]);
  });

  it('refuses a bad loss spec and keeps the impairment it had', () => {
    const ch = impaired(new RecordingChannel());
    ch.impair({ delayMs: 5 });
    expect(() => ch.impair({ loss: 'bern:5' })).toThrow(RangeError);
    expect(ch.impairment?.delayMs).toBe(5);
  });
});

describe('lossSpecFor', () => {
  it('maps a loss fraction and a mean burst length to a loss model with that mean loss', () => {
    expect(lossSpecFor(0, 3)).toBe('none');
    expect(lossSpecFor(0.05)).toBe('bern:0.05');
    for (const [loss, burst] of [
      [0.05, 2],
      [0.1, 4],
      [0.3, 1.5],
    ] as const) {
      const model = parseLossSpec(lossSpecFor(loss, burst));
      expect(model.spec()).toMatch(/^ge:/);
      expect(model.meanLoss()).toBeCloseTo(loss, 6);
    }
  });
});
