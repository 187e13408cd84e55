import { describe, expect, it } from 'vitest';
import { LaneLog } from '../../src/engine/lane-log.js';
import type { SentPacket } from '../../src/recovery/sent-packet-tracker.js';

const packet = (pn: number): SentPacket => ({ packetNumber: pn, timeSent: 0, bytes: 1000, ackEliciting: true, delivered: 0, deliveredTime: 0, firstSentTime: 0, appLimited: false });

describe('LaneLog', () => {
  it("numbers each lane's datagrams from 0 and visits the packets of a range, skipping datagrams without one", () => {
    const log = new LaneLog();
    log.record(2, packet(10));
    log.record(2, undefined); // an ACK alone
    log.record(2, packet(12));
    log.record(0, packet(13));
    const seen: number[] = [];
    log.range(2, 0, 3, (p) => seen.push(p.packetNumber));
    log.range(2, 1, 2, (p) => seen.push(p.packetNumber));
    log.range(0, 0, 5, (p) => seen.push(p.packetNumber));
    log.range(1, 0, 5, (p) => seen.push(p.packetNumber));
    expect(seen).toEqual([10, 12, 13]);
  });

  it('remembers the last 256 datagrams of a lane', () => {
    const log = new LaneLog();
    for (let i = 0; i < 300; i++) log.record(0, packet(i));
    const seen: number[] = [];
    log.range(0, 0, 300, (p) => seen.push(p.packetNumber));
    expect(seen).toEqual(Array.from({ length: 256 }, (_, i) => 44 + i));
  });

  it('finds a free lane: one that has carried datagrams, holding none and not full', () => {
    const log = new LaneLog();
    log.record(0, packet(0));
    log.record(1, packet(1));
    expect(log.hasFreeLane([{ lane: 0, from: 0, to: 1 }])).toBe(true);
    expect(log.hasFreeLane([{ lane: 0, from: 0, to: 1 }, { lane: 1, from: 1, to: 1, full: true }])).toBe(false);
    expect(log.hasFreeLane([{ lane: 0, from: 0, to: 1 }, { lane: 1, from: 1, to: 1 }])).toBe(true);
    // Lane 5 never carried anything: not counted as free.
    expect(log.hasFreeLane([{ lane: 0, from: 0, to: 1 }, { lane: 1, from: 0, to: 1 }])).toBe(false);
  });
});
