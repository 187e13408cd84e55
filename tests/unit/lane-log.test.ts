import { describe, expect, it } from 'vitest';
import { LaneLog } from '../../src/engine/lane-log.js';
import type { SentPacket } from '../../src/recovery/sent-packet-tracker.js';

const packet = (pn: number): SentPacket => ({ packetNumber: pn, timeSent: 0, bytes: 1000, ackEliciting: true, delivered: 0, deliveredTime: 0, firstSentTime: 0, appLimited: false });

describe('LaneLog', () => {
  it("numbers each lane's datagrams from 0 and visits the packets of a range, skipping datagrams without one", () => {
    const log = new LaneLog();
    log.record(2, packet(10));
    log.record(2, undefined); // a handshake message
    log.record(2, packet(12));
    log.record(0, packet(13));
    const seen: number[] = [];
    const visit = (p: SentPacket) => seen.push(p.packetNumber) > 0;
    log.range(2, 0, 3, visit);
    log.range(2, 1, 2, visit);
    log.range(0, 0, 5, visit);
    log.range(1, 0, 5, visit);
    // Newest first.
    expect(seen).toEqual([12, 10, 13]);
    // The newest that asks for an ACK: an ACK alone after it is passed over.
    log.record(2, { ...packet(14), ackEliciting: false });
    expect(log.newestElicitingFrom(2, 0)?.packetNumber).toBe(12);
    expect(log.newestElicitingFrom(2, 3)).toBeUndefined();
  });

  it('stops a visit where the visitor says', () => {
    const log = new LaneLog();
    for (let i = 0; i < 10; i++) log.record(0, packet(i));
    const seen: number[] = [];
    log.range(0, 0, 10, (p) => seen.push(p.packetNumber) < 3);
    expect(seen).toEqual([9, 8, 7]);
  });

  it('remembers the last 256 datagrams of a lane', () => {
    const log = new LaneLog();
    for (let i = 0; i < 300; i++) log.record(0, packet(i));
    const seen: number[] = [];
    log.range(0, 0, 300, (p) => seen.push(p.packetNumber) > 0);
    expect(seen).toEqual(Array.from({ length: 256 }, (_, i) => 299 - i));
  });

  it('finds the free lanes: those that have carried datagrams, holding none and not busy, with their room', () => {
    const log = new LaneLog();
    log.record(0, packet(0));
    log.record(1, packet(1));
    log.record(2, packet(2));
    // Lane 1 not named: free, room untold.
    expect(log.freeLanes([{ lane: 0, from: 0, to: 1 }, { lane: 2, from: 1, to: 1, room: 3000 }])).toEqual([undefined, 3000]);
    expect(log.freeLanes([{ lane: 0, from: 0, to: 1 }, { lane: 1, from: 1, to: 1, busy: true }, { lane: 2, from: 0, to: 1 }])).toEqual([]);
    // Lane 5 never carried anything: not counted as free.
    expect(log.freeLanes([{ lane: 0, from: 0, to: 1 }, { lane: 1, from: 0, to: 1 }, { lane: 2, from: 1, to: 1 }])).toEqual([undefined]);
  });
});
