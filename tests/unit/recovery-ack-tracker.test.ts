import { describe, expect, it } from 'vitest';
import { AckTracker } from '../../src/recovery/ack-tracker.js';

const policy = { ackEveryPackets: 4, maxAckDelayMs: 25, maxAckRanges: 8, rangeRepeats: 2 };

describe('AckTracker', () => {
  it('delays an in-order ACK up to the max delay, or until enough packets', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0);
    expect(a.ackDeadline()).toBe(25);
    a.onPacket(1, true, 1);
    a.onPacket(2, true, 2);
    expect(a.wantsAck(2)).toBe(false);
    a.onPacket(3, true, 3);
    expect(a.wantsAck(3)).toBe(true);
  });

  it('acknowledges at once when a packet arrives out of order', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0);
    a.onAckSent();
    a.onPacket(2, true, 5);
    expect(a.wantsAck(5)).toBe(true);
    const ack = a.buildAck(7)!;
    expect(ack.largest).toBe(2);
    expect(ack.ackDelayMs).toBe(2);
    expect(ack.ranges).toEqual([{ start: 2, end: 2 }, { start: 0, end: 0 }]);
  });

  it('acknowledges at once an in-order packet whose sender asked (A, the tail of its flight)', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0);
    expect(a.wantsAck(0)).toBe(false);
    a.onPacket(1, true, 1, true);
    expect(a.wantsAck(1)).toBe(true);
    a.onAckSent();
    a.onPacket(2, true, 2);
    expect(a.wantsAck(2)).toBe(false);
  });

  it('never elicits an ACK for ACK-only packets, and flags duplicates', () => {
    const a = new AckTracker(policy, 64);
    expect(a.onPacket(0, false, 0)).toBe(true);
    expect(a.ackDeadline()).toBeUndefined();
    expect(a.onPacket(0, false, 1)).toBe(false);
  });

  it('stops repeating a hole after it has gone out in enough ACKs', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0);
    a.onPacket(2, true, 0);
    for (let i = 0; i < 2; i++) {
      expect(a.buildAck(1)!.ranges.length).toBe(2);
      a.onAckSent();
    }
    // Two ACKs carried the hole below 2: the next ones leave it out.
    a.onPacket(3, true, 2);
    expect(a.buildAck(3)!.ranges).toEqual([{ start: 2, end: 3 }]);
  });
});
