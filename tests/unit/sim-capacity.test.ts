import { describe, expect, it } from 'vitest';
import { capacitySchedule, CapacityTimeline, constantCapacity } from '../../src/transport/capacity.js';

describe('CapacityTimeline', () => {
  it('serializes at a constant rate', () => {
    const timeline = new CapacityTimeline(constantCapacity(1_000_000)); // 1 bit per us
    expect(timeline.finishTime(0, 8000)).toBeCloseTo(8, 9);
    expect(timeline.finishTime(2500.5, 12_000)).toBeCloseTo(2512.5, 9);
  });

  it('integrates a time-varying rate, skips silent segments and loops', () => {
    // 0-10 ms: 1 Mbit/s, 10-20 ms: silent, 20-30 ms: 2 Mbit/s; repeats every 30 ms (30 kbit per cycle).
    const timeline = new CapacityTimeline(capacitySchedule('steps', [0, 10, 20], [1e6, 0, 2e6], 30));
    expect(timeline.finishTime(0, 5000)).toBeCloseTo(5, 9);
    expect(timeline.finishTime(5, 10_000)).toBeCloseTo(22.5, 9); // 5 kbit by 10 ms, then 5 kbit at 2 Mbit/s from 20 ms
    expect(timeline.finishTime(12, 1000)).toBeCloseTo(20.5, 9); // waits out the silence
    expect(timeline.finishTime(25, 10_000 + 30_000)).toBeCloseTo(60, 9); // 10 kbit end this cycle, then one whole 30 kbit cycle
    expect(timeline.finishTime(30, 10_000)).toBeCloseTo(40, 9);
    expect(timeline.rateAt(45)).toBe(0);
    expect(timeline.rateAt(55)).toBe(2e6);
  });

  it('rejects schedules that never carry data or are malformed', () => {
    expect(() => new CapacityTimeline(capacitySchedule('dead', [0], [0], 10))).toThrow(/no data/);
    expect(() => capacitySchedule('bad', [5], [1], 10)).toThrow(/start at 0/);
    expect(() => capacitySchedule('bad', [0, 5, 5], [1, 2, 3], 10)).toThrow(/increase/);
  });
});
