import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Link } from '../../src/transport/link.js';
import { parseLossSpec } from '../../src/transport/loss-models.js';
import { Rng } from '../../src/transport/rng.js';
import { findTracesDir, loadCapacityTrace, loadPacketTrace, packetTraceResolver } from '../../src/transport/trace-files.node.js';
import { summarizeCapacity, summarizePacketTrace } from '../../src/transport/traces.js';

const dir = findTracesDir();
if (!dir) console.log('trace-files.test: shared traces not found (set PDU_TRACES_DIR or place them at ../shared/traces); skipping the real-trace checks');

describe('findTracesDir', () => {
  it('returns undefined for a folder that does not exist', () => {
    expect(findTracesDir('/nonexistent/pdu-traces')).toBeUndefined();
  });
});

describe.skipIf(!dir)('real traces (figures from traces/README.md and SOURCE.txt)', () => {
  const traces = dir as string;

  it('Starlink LENS ping: 10,337 probes, 3.26% loss in 20 bursts, RTT median 151 ms, p99 217 ms', () => {
    const s = summarizePacketTrace(loadPacketTrace('starlink_lens', traces));
    expect(s.packets).toBe(10_337);
    expect(s.lost).toBe(337);
    expect(s.lossRate).toBeCloseTo(0.0326, 4);
    expect(s.bursts).toBe(20);
    expect(2 * s.delayMs.p50).toBeCloseTo(151, 0);
    expect(2 * s.delayMs.p99).toBeCloseTo(217, 0);
  });

  it('Starlink irtt: 10,000 packets per direction, 4 lost up and 33 down, one-way delays in ms', () => {
    const up = summarizePacketTrace(loadPacketTrace('starlink_irtt_up', traces));
    const down = summarizePacketTrace(loadPacketTrace('starlink_irtt_down', traces));
    expect([up.packets, up.lost, down.packets, down.lost]).toEqual([10_000, 4, 10_000, 33]);
    for (const s of [up, down]) {
      expect(s.delayMs.p50).toBeGreaterThan(10);
      expect(s.delayMs.p50).toBeLessThan(40);
    }
  });

  it('names trace replay models through parseLossSpec', () => {
    const model = parseLossSpec('trace:starlink_lens', { resolveTrace: packetTraceResolver(traces) });
    expect(model.meanLoss()).toBeCloseTo(337 / 10_337, 10);
    expect(model.spec()).toBe('trace:starlink_lens');
    expect(() => loadPacketTrace('nope', traces)).toThrow(/known: starlink_lens/);
  });

  it('Mahimahi: a saturated link passes exactly the listed 1500-byte opportunities', () => {
    const path = 'mahimahi-cellular/TMobile-LTE-short.up';
    const schedule = loadCapacityTrace(path, traces);
    // 155,381 opportunities over 140,000 ms.
    expect(schedule.periodMs).toBe(140_000);
    expect(summarizeCapacity(schedule).meanBitsPerSecond).toBeCloseTo((155_381 * 12_000) / 140, -2);
    const firstSecond = readFileSync(join(traces, path), 'utf8')
      .split('\n')
      .filter((line) => line.trim() !== '' && Number(line) <= 1000).length;
    const link = new Link(new Rng(1), { capacity: schedule, queueLimitBytes: Infinity });
    for (let i = 0; i < firstSecond + 100; i++) link.offer(new Uint8Array(1500), 0);
    let delivered = 0;
    while (link.poll(1000)) delivered++;
    expect(delivered).toBe(firstSecond);
  });

  it('Norway 3G (about 1 s spacing) and FCC (exactly 5 s spacing) throughput logs', () => {
    const norway = loadCapacityTrace('pensieve-norway3g-fcc/cooked_test_traces/norway_bus_1', traces);
    const spacing = norway.periodMs / norway.startMs.length;
    expect(spacing).toBeGreaterThan(500);
    expect(spacing).toBeLessThan(1500);
    const fcc = loadCapacityTrace('pensieve-norway3g-fcc/cooked_traces/trace_10322_http---edition.cnn.com', traces);
    expect(fcc.periodMs % 5000).toBe(0);
    for (const schedule of [norway, fcc]) {
      const s = summarizeCapacity(schedule);
      expect(s.meanBitsPerSecond).toBeGreaterThan(1e5);
      expect(s.meanBitsPerSecond).toBeLessThan(1e8);
    }
    expect(() => loadCapacityTrace('starlink-irtt-owd-loss/SOURCE.txt', traces)).toThrow(/no capacity format/);
  });
});
