import { describe, expect, it } from 'vitest';
import { PeerClock, SessionClock } from '../../src/engine/session-clock.js';

describe('SessionClock', () => {
  it('writes deadlines as whole ms since its start, modulo 2^32, and none too far ahead', () => {
    const c = new SessionClock();
    c.start(5000.7);
    c.start(9999); // only the first start counts
    expect(c.toWire(6000.7, 5500)).toBe(1000);
    expect(c.toWire(5000.7 + 2 ** 32 + 3, 5000.7 + 2 ** 32)).toBe(3);
    expect(c.toWire(5000 + 2 ** 30 + 10, 5000)).toBeUndefined();
  });
});

describe('PeerClock', () => {
  it('places nothing before the first PROBE', () => {
    expect(new PeerClock().localDeadline(100, 0, 0)).toBeUndefined();
  });

  it('takes the least offset of recent probes, so queueing never moves a deadline earlier', () => {
    const p = new PeerClock();
    // Our clock runs 1,000,000 ms ahead of the peer's session clock; one-way delay 20 ms, one
    // probe queued 300 ms more.
    p.observe(100, 1_000_120);
    p.observe(200, 1_000_520);
    // The peer's deadline 500 lands at 1,000,500 + 20 - one_way.
    expect(p.localDeadline(500, 1_000_300, 20)).toBe(1_000_500);
    expect(p.localDeadline(500, 1_000_300, 0)).toBe(1_000_520);
  });

  it('forgets the least offset once eight newer probes have come', () => {
    const p = new PeerClock();
    p.observe(0, 10);
    for (let i = 1; i <= 8; i++) p.observe(i * 100, i * 100 + 50);
    expect(p.localDeadline(1000, 900, 0)).toBe(1050);
  });

  it('unwraps a deadline written after the peer clock wrapped, and a negative offset', () => {
    const p = new PeerClock();
    // The peer's session clock is about to wrap; ours reads far less (a negative offset).
    const peerNow = 2 ** 32 - 100;
    p.observe(peerNow, 5_000);
    // Deadline 300 ms ahead of the peer: written as 200 after the wrap.
    expect(p.localDeadline(200, 5_000, 0)).toBe(5_300);
    // A deadline just before the wrap stays before it.
    expect(p.localDeadline(2 ** 32 - 150, 5_000, 0)).toBe(4_950);
  });
});
