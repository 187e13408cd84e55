import { describe, expect, it } from 'vitest';
import { AckTracker } from '../../src/recovery/ack-tracker.js';

const policy = { ackEveryPackets: 4, maxAckDelayMs: 25, outOfOrderAckDelayRtt: 1 / 16, askedAckDelayRtt: 0, holeAckRepeatRtt: 1 / 8, maxAckRanges: 8, rangeRepeats: 2 };
/** Smoothed RTT handed to the tracker: an out-of-order arrival's ACK waits 80/16 = 5 ms, a hole's ACK repeats 80/8 = 10 ms later. */
const SRTT = 80;

describe('AckTracker', () => {
  it('delays an in-order ACK up to the max delay, or until enough packets', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0, SRTT);
    expect(a.ackDeadline()).toBe(25);
    a.onPacket(1, true, 1, SRTT);
    a.onPacket(2, true, 2, SRTT);
    expect(a.wantsAck(2)).toBe(false);
    a.onPacket(3, true, 3, SRTT);
    expect(a.wantsAck(3)).toBe(true);
  });

  it('acknowledges an arrival out of order within srtt/16, one ACK for a reordered burst', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0, SRTT);
    a.onAckSent(0, SRTT);
    a.onPacket(2, true, 5, SRTT);
    expect(a.ackDeadline()).toBe(10);
    // The burst's next arrivals, out of order too, do not push the ACK later nor make it sooner.
    a.onPacket(4, true, 7, SRTT);
    a.onPacket(3, true, 8, SRTT);
    expect(a.wantsAck(9)).toBe(false);
    expect(a.wantsAck(10)).toBe(true);
    const ack = a.buildAck(10)!;
    expect(ack.largest).toBe(4);
    expect(ack.ackDelayMs).toBe(3);
    expect(ack.ranges).toEqual([{ start: 2, end: 4 }, { start: 0, end: 0 }]);
  });

  it('acknowledges an arrival out of order at once when so configured', () => {
    const a = new AckTracker({ ...policy, outOfOrderAckDelayRtt: 0 }, 64);
    a.onPacket(0, true, 0, SRTT);
    a.onAckSent(0, SRTT);
    a.onPacket(2, true, 5, SRTT);
    expect(a.wantsAck(5)).toBe(true);
  });

  it('acknowledges at once an in-order packet whose sender asked (A)', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0, SRTT);
    expect(a.ackDeadline()).toBe(25);
    a.onPacket(1, true, 1, SRTT, true);
    expect(a.wantsAck(1)).toBe(true);
    a.onAckSent(1, SRTT);
    a.onPacket(2, true, 2, SRTT);
    expect(a.ackDeadline()).toBe(27);
  });

  it('lets an asked-for ACK wait askedAckDelayRtt, so that stragglers of the flight share it', () => {
    const a = new AckTracker({ ...policy, ackEveryPackets: 8, askedAckDelayRtt: 1 / 32 }, 64);
    for (const pn of [0, 1, 2]) a.onPacket(pn, true, pn, SRTT);
    a.onAckSent(2, SRTT);
    // The tail (pn 6, A flag) overtook pns 3-5 on other stripes: its ACK waits 80/32 = 2.5 ms.
    a.onPacket(6, true, 10, SRTT, true);
    expect(a.ackDeadline()).toBe(12.5);
    for (const [pn, t] of [[3, 10.2], [4, 10.4], [5, 11]] as const) a.onPacket(pn, true, t, SRTT);
    expect(a.ackDeadline()).toBe(12.5);
    expect(a.wantsAck(12.4)).toBe(false);
    const ack = a.buildAck(12.5)!;
    expect(ack.ranges).toEqual([{ start: 0, end: 6 }]);
    expect(ack.ackDelayMs).toBe(2.5);
    a.onAckSent(12.5, SRTT);
    expect(a.sentBy.asked).toBe(1);
    expect(a.sentBy.outOfOrder).toBe(0);
  });

  it('acknowledges at once after ackEveryPackets, whatever else is pending', () => {
    const a = new AckTracker(policy, 64);
    for (const pn of [0, 2, 1]) a.onPacket(pn, true, pn, SRTT);
    expect(a.wantsAck(2)).toBe(false);
    a.onPacket(3, true, 3, SRTT);
    expect(a.wantsAck(3)).toBe(true);
  });

  it('never elicits an ACK for ACK-only packets, and flags duplicates', () => {
    const a = new AckTracker(policy, 64);
    expect(a.onPacket(0, false, 0, SRTT)).toBe(true);
    expect(a.ackDeadline()).toBeUndefined();
    expect(a.onPacket(0, false, 1, SRTT)).toBe(false);
  });

  it('stops repeating a hole after it has gone out in enough ACKs', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0, SRTT);
    a.onPacket(2, true, 0, SRTT);
    for (let i = 0; i < 2; i++) {
      expect(a.buildAck(1)!.ranges.length).toBe(2);
      a.onAckSent(1, SRTT);
    }
    // Two ACKs carried the hole below 2: the next ones leave it out.
    a.onPacket(3, true, 2, SRTT);
    expect(a.buildAck(3)!.ranges).toEqual([{ start: 2, end: 3 }]);
  });

  it('repeats once an ACK that reported a new hole, unless another ACK went out first', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0, SRTT);
    a.onPacket(2, true, 1, SRTT);
    a.onAckSent(6, SRTT);
    // The hole at 1 went out once: the same ACK goes again 10 ms later, then no more.
    expect(a.ackDeadline()).toBe(16);
    expect(a.buildAck(16)!.ranges).toEqual([{ start: 2, end: 2 }, { start: 0, end: 0 }]);
    a.onAckSent(16, SRTT);
    expect(a.ackDeadline()).toBeUndefined();
    // An ACK without a hole, or whose hole an earlier ACK reported, is not repeated.
    a.onPacket(3, true, 20, SRTT, true);
    a.onAckSent(25, SRTT);
    expect(a.ackDeadline()).toBeUndefined();
    // A new hole, then an ACK for a later arrival before the repeat is due: that ACK is the repeat.
    a.onPacket(5, true, 30, SRTT);
    a.onAckSent(35, SRTT);
    expect(a.ackDeadline()).toBe(45);
    a.onPacket(6, true, 40, SRTT, true);
    a.onAckSent(44, SRTT);
    expect(a.ackDeadline()).toBeUndefined();
  });

  it('never repeats when so configured', () => {
    const a = new AckTracker({ ...policy, holeAckRepeatRtt: 0 }, 64);
    a.onPacket(0, true, 0, SRTT);
    a.onPacket(2, true, 1, SRTT);
    a.onAckSent(6, SRTT);
    expect(a.ackDeadline()).toBeUndefined();
  });

  it('counts each ACK sent under the rule that made it due', () => {
    const a = new AckTracker(policy, 64);
    a.onPacket(0, true, 0, SRTT);
    a.onAckSent(25, SRTT); // the max delay ran out
    a.onPacket(1, true, 30, SRTT, true);
    a.onAckSent(30, SRTT); // asked
    for (let pn = 2; pn < 6; pn++) a.onPacket(pn, true, 31, SRTT);
    a.onAckSent(31, SRTT); // four packets
    a.onPacket(7, true, 40, SRTT); // 6 missing: out of order, due at 45
    a.onPacket(8, true, 41, SRTT, true); // then asked: due at once, and the earlier rule is replaced
    a.onAckSent(41, SRTT); // reports the new hole at 6: repeated at 51
    a.onAckSent(51, SRTT);
    a.onPacket(9, true, 52, SRTT);
    a.onAckSent(53, SRTT); // rode along with another frame before its delay ran out
    a.onPacket(11, true, 60, SRTT);
    a.onAckSent(65, SRTT);
    expect(a.sentBy).toEqual({ asked: 2, count: 1, outOfOrder: 1, delayed: 1, holeRepeat: 1, alongside: 1 });
  });

  it('reports a late arrival below the ranges already left out, in rangeRepeats ACKs', () => {
    const a = new AckTracker(policy, 64);
    // 1 and 6 missing; two ACKs report up to 12, so [0..5] falls below what ACKs still repeat.
    for (const pn of [0, 2, 3, 4, 5, 7, 8, 9, 10]) a.onPacket(pn, true, pn, SRTT);
    a.onAckSent(10, SRTT);
    for (const pn of [11, 12]) a.onPacket(pn, true, pn, SRTT);
    a.onAckSent(12, SRTT);
    expect(a.buildAck(13)!.ranges).toEqual([{ start: 7, end: 12 }]);
    a.onPacket(1, true, 13, SRTT);
    for (let report = 0; report < policy.rangeRepeats; report++) {
      expect(a.buildAck(14 + report)!.ranges).toEqual([{ start: 7, end: 12 }, { start: 0, end: 5 }]);
      a.onAckSent(14 + report, SRTT);
    }
    expect(a.buildAck(20)!.ranges).toEqual([{ start: 7, end: 12 }]);
  });
});

