// Shared by the PDU-over-netem tests: one row of bench:net's harness at 5% loss each way, RTT 50 ms,
// and the checks that say PDU itself recovered every loss.
import { expect } from 'vitest';
import { CLEAN, figures, runRow, StackPair, type RowResult, type Stack } from '../../bench/net/harness.js';
import type { NetemTopology } from '../../src/netem/index.js';

/** 16 KiB messages at 10/s for 4 s over 25 ms + 5% loss each way (impaired after the channels open). */
export async function pduAtFivePercent(net: NetemTopology, stack: Stack): Promise<RowResult> {
  const pair = await StackPair.open(net, stack);
  try {
    return await runRow(pair, {
      scenario: { name: 'bern5-rtt50', spec: { ...CLEAN, loss: 'bern:0.05' }, loss: 0.05, rttMs: 50 },
      transport: 'pdu-heuristic',
      msgBytes: 16 * 1024,
      rateHz: 10,
      count: 40,
      drainMs: 45_000,
    });
  } finally {
    await pair.close();
  }
}

export function expectPduRecoveredEveryLoss(r: RowResult): void {
  const f = figures(r);
  const udpLost = r.counters.after.aToB.byProtocol.udp.lostPackets - r.counters.before.aToB.byProtocol.udp.lostPackets;
  const retx = r.sender.stats!.retransmissions;
  // The link did lose packets on the way to the receiver...
  expect(udpLost).toBeGreaterThan(0);
  // ...and still every message arrived, once, intact, and every send() resolved as delivered.
  expect(r.received.count).toBe(r.send.sent);
  expect(r.received.duplicates).toBe(0);
  expect(r.received.malformed).toBe(0);
  expect(r.sender.delivered).toBe(r.send.sent);
  expect(r.sender.rejected).toEqual({});
  expect(f.unaccounted).toBe(0);
  // PDU's own retransmissions repaired them: at least one per lost packet that carried data
  // (a few lost packets are SCTP acknowledgements and FORWARD-TSNs, hence the factor).
  expect(retx.predictive + retx.timeout).toBeGreaterThan(0);
  expect(retx.predictive + retx.timeout).toBeGreaterThanOrEqual(Math.floor(udpLost * 0.5));
  expect(r.sender.stats!.messages.delivered).toBe(r.send.sent);
  // The data channel PDU runs on, as each side's stack reports it: SCTP gives up on a lost chunk
  // at once instead of resending it, so no SCTP retransmission can have done the work.
  for (const side of r.connect) expect(side.channel).toEqual({ ordered: false, maxRetransmits: 0 });
}
