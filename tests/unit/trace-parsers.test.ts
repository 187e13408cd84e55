import { describe, expect, it } from 'vitest';
import { parseIrtt, parseMahimahi, parsePingLog, parseThroughputLog, percentile, summarizeCapacity, summarizePacketTrace } from '../../src/transport/traces.js';

describe('parsePingLog', () => {
  const log = [
    'PING fe80::1(fe80::1) from :: ens33: 56 data bytes',
    '[1723489200.1] 64 bytes from fe80::1%ens33: icmp_seq=1 ttl=63 time=100 ms',
    '[1723489200.2] 64 bytes from fe80::1%ens33: icmp_seq=2 ttl=63 time=120 ms',
    '[1723489200.3] 64 bytes from fe80::1%ens33: icmp_seq=5 ttl=63 time=90.4 ms',
    '[1723489200.4] 64 bytes from fe80::1%ens33: icmp_seq=5 ttl=63 time=300 ms (DUP!)',
    '[1723489200.5] 64 bytes from fe80::1%ens33: icmp_seq=6 ttl=63 time=80 ms\r',
  ].join('\n');

  it('turns missing sequence numbers into losses and RTT into one-way delay', () => {
    const trace = parsePingLog(log, 'ping');
    expect([...trace.lost]).toEqual([0, 0, 1, 1, 0, 0]);
    // Lost entries repeat the previous delay; the duplicate reply is ignored.
    expect([...trace.delayMs]).toEqual([50, 60, 60, 60, 45.2, 40]);
  });

  it('rejects a log without replies', () => {
    expect(() => parsePingLog('PING x\nno replies', 'empty')).toThrow(/no ping replies/);
  });
});

describe('parseIrtt', () => {
  it('reads ns delays and 0/1 losses with CRLF line ends', () => {
    const trace = parseIrtt('36113934\r\n36329517\r\n1000000\r\n', '0\r\n1\r\n0\r\n', 'irtt');
    expect([...trace.lost]).toEqual([0, 1, 0]);
    expect([...trace.delayMs]).toEqual([36.113934, 36.329517, 1]);
  });

  it('rejects mismatched or malformed files', () => {
    expect(() => parseIrtt('1\n2\n', '0\n', 'x')).toThrow(/2 delays but 1 loss flags/);
    expect(() => parseIrtt('1\n', '2\n', 'x')).toThrow(/neither 0 nor 1/);
    expect(() => parseIrtt('1\nabc\n', '0\n0\n', 'x')).toThrow(/not a number/);
  });
});

describe('parseMahimahi', () => {
  it('turns one opportunity per ms into 12 Mbit/s', () => {
    const schedule = parseMahimahi('1\n', 'one');
    expect(schedule.periodMs).toBe(1);
    expect([...schedule.bitsPerSecond]).toEqual([12e6]);
  });

  it('places k opportunities at ms t in the millisecond before t, and loops at the last timestamp', () => {
    const schedule = parseMahimahi('1\n1\n3\n', 'steps');
    expect(schedule.periodMs).toBe(3);
    expect([...schedule.startMs]).toEqual([0, 1, 2]);
    expect([...schedule.bitsPerSecond]).toEqual([24e6, 0, 12e6]);
    expect(summarizeCapacity(schedule).meanBitsPerSecond).toBeCloseTo(12e6, 3);
  });

  it('rejects fractional timestamps', () => {
    expect(() => parseMahimahi('1.5\n', 'bad')).toThrow(/whole number/);
  });
});

describe('parseThroughputLog', () => {
  it('holds each rate until the next sample, starting at 0, looping after the last spacing', () => {
    const schedule = parseThroughputLog('5.0\t2.0\n6.0\t4.0\n7.0\t1.0\n', 'log');
    expect([...schedule.startMs]).toEqual([0, 1000, 2000]);
    expect([...schedule.bitsPerSecond]).toEqual([2e6, 4e6, 1e6]);
    expect(schedule.periodMs).toBe(3000);
    expect(summarizeCapacity(schedule)).toEqual({ periodMs: 3000, meanBitsPerSecond: 7e6 / 3, minBitsPerSecond: 1e6, maxBitsPerSecond: 4e6 });
  });

  it('names the bad line', () => {
    expect(() => parseThroughputLog('0\t1\nfoo\n', 'log')).toThrow(/line 2/);
  });
});

describe('summarizePacketTrace', () => {
  it('counts bursts and takes delay percentiles over delivered packets', () => {
    const lost = Uint8Array.of(0, 1, 1, 0, 1, 0, 0, 0, 0, 0);
    const delayMs = Float64Array.of(10, 99, 99, 20, 99, 30, 40, 50, 60, 70);
    const s = summarizePacketTrace({ name: 's', lost, delayMs });
    expect(s).toMatchObject({ packets: 10, lost: 3, lossRate: 0.3, bursts: 2, meanBurst: 1.5, maxBurst: 2 });
    expect(s.delayMs).toEqual({ min: 10, p50: 40, p90: 70, p99: 70, max: 70, mean: 40 });
  });

  it('uses nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.51)).toBe(3);
    expect(percentile([], 0.5)).toBeNaN();
  });
});
