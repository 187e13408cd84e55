// Fuzzing in CI: 100,000 random and mutated datagrams into every decoder and into sessions
// (established and handshaking). Nothing throws, nothing forged is accepted, memory stays
// bounded. `npx tsx bench/crypto.ts --fuzz N` runs the same fuzzer longer.
import { describe, expect, it } from 'vitest';
import { runFuzz } from '../../bench/crypto.js';

describe('fuzzing', () => {
  it('100,000 datagrams: no throw, no forgery accepted, bounded heap', () => {
    const report = runFuzz(100_000, 20_240_601);
    expect(report.throws).toBe(0);
    expect(report.forgeriesAccepted).toBe(0);
    // Per-datagram garbage is collected; the session keeps only fixed-size state.
    expect(report.heapGrowth).toBeLessThan(8 * 1024 * 1024);
    const drops = Object.values(report.dropped).reduce((sum, n) => sum + n, 0);
    expect(drops).toBeGreaterThan(90_000);
    expect(report.dropped.auth_failed).toBeGreaterThan(0);
    expect(report.dropped.malformed).toBeGreaterThan(0);
  });
});
