import { describe, expect, it } from 'vitest';
import { NO_LANE } from '../../worker/protocol.js';
import { RelayedChannel } from '../../worker/relayed-channel.js';
import { laneState } from '../../src/channel/session-backend.js';
import type { DatagramChannel } from '../../src/transport/datachannel.js';

const d = (n: number) => new Uint8Array(n);

describe('RelayedChannel lanes', () => {
  it('names no lane until the host reports lanes, and then none in the batch', () => {
    const ch = new RelayedChannel(64 * 1024, () => undefined);
    expect(ch.pickLane()).toBeUndefined();
    ch.send(d(100));
    expect(ch.takeOutgoing()).toEqual({ datagrams: [d(100)] });
  });

  it("picks by each lane's reported room less what it posted there since, and posts the lanes", () => {
    const ch = new RelayedChannel(64 * 1024, () => undefined);
    ch.updateState(true, 0, 64 * 1024, [
      { open: true, queuedBytes: 0, room: 2000 },
      { open: true, queuedBytes: 0, room: 2500 },
      { open: false, queuedBytes: 0, room: 9000 },
    ]);
    const first = ch.pickLane()!;
    expect(first).toBe(1);
    ch.send(d(1200), first);
    // Lane 1 has 1300 left now, lane 0 still 2000.
    expect(ch.pickLane()).toBe(0);
    ch.send(d(1200), 0);
    // A datagram without a lane (sent through an impairment) travels with NO_LANE: the host picks.
    ch.send(d(300));
    expect(ch.takeOutgoing().lanes).toEqual([1, 0, NO_LANE]);
    // A fresh report replaces what was posted.
    ch.updateState(true, 0, 64 * 1024, [
      { open: true, queuedBytes: 0, room: 100 },
      { open: true, queuedBytes: 0, room: 5000 },
    ]);
    expect(ch.pickLane()).toBe(1);
    // Lanes without a room figure: the fewest queued bytes, counting what was posted.
    ch.updateState(true, 0, 64 * 1024, [
      { open: true, queuedBytes: 1000 },
      { open: true, queuedBytes: 0 },
    ]);
    ch.send(d(1500), 1);
    expect(ch.pickLane()).toBe(0);
  });

  it("tells a lane's backlog from the host's last report: what the host had sent there, less what it still queued", () => {
    const ch = new RelayedChannel(64 * 1024, () => undefined);
    expect(ch.laneBacklog(0)).toBeUndefined();
    ch.updateState(true, 900, 64 * 1024, [
      { open: true, queuedBytes: 900, sentBytes: 3600 },
      { open: true, queuedBytes: 0 },
    ]);
    expect(ch.laneBacklog(0)).toEqual({ departedBytes: 2700, knownBytes: 3600 });
    // A host lane that does not count its sends, or a lane it has not: no backlog.
    expect(ch.laneBacklog(1)).toBeUndefined();
    expect(ch.laneBacklog(2)).toBeUndefined();
  });

  it("has the host leave out of each lane's sentBytes what it placed there itself, so both sides count the same bytes", () => {
    const loads = [
      { open: true, queuedBytes: 100, sentBytes: 1000 },
      { open: true, queuedBytes: 0, sentBytes: 500 },
      { open: true, queuedBytes: 0 },
    ];
    const channel = { laneLoads: () => loads.map((l) => ({ ...l })) } as unknown as DatagramChannel;
    // The worker posted 200 bytes before it knew the lanes, and the host put them on lane 0.
    expect(laneState(channel, [200, undefined as unknown as number, 50]).lanes).toEqual([
      { open: true, queuedBytes: 100, sentBytes: 800 },
      { open: true, queuedBytes: 0, sentBytes: 500 },
      { open: true, queuedBytes: 0 },
    ]);
    const worker = new RelayedChannel(64 * 1024, () => undefined);
    worker.updateState(true, 100, 64 * 1024, laneState(channel, [200]).lanes);
    expect(worker.laneBacklog(0)).toEqual({ departedBytes: 700, knownBytes: 800 });
  });
});

