// CI subset of bench:net: PDU between two werift peers, one per namespace, across the emulated link
// at 5% loss each way and RTT 50 ms. Asserts behaviour (everything arrives; PDU, not SCTP, did the
// recovering), never timing.
import { afterEach, describe, expect, it } from 'vitest';
import { NetemTopology, netemUnavailableReason } from '../../src/netem/index.js';
import { expectPduRecoveredEveryLoss, pduAtFivePercent } from './pdu-support.js';

const unavailable = netemUnavailableReason();
if (unavailable) console.log(unavailable);

let net: NetemTopology | undefined;
afterEach(() => {
  net?.teardown();
  net = undefined;
});

describe.skipIf(unavailable !== undefined)('PDU over the emulated link, werift <-> werift', () => {
  it('delivers every message at 5% loss, recovered by PDU alone (SCTP retransmits nothing)', async () => {
    net = await NetemTopology.setup({ seed: 7 });
    const r = await pduAtFivePercent(net, 'werift-werift');
    expectPduRecoveredEveryLoss(r);
    // werift's own counters: the SCTP association under PDU sent every DATA chunk once.
    expect(r.sender.sctp!.dataChunks).toBeGreaterThan(0);
    expect(r.sender.sctp!.retransmittedChunks).toBe(0);
    const retx = r.sender.stats!.retransmissions;
    console.log(`pdu werift-werift: ${r.received.count}/${r.send.sent} delivered; PDU retransmissions nack ${retx.predictive} / timer ${retx.timeout} (spurious ${retx.spurious}); SCTP data chunks ${r.sender.sctp!.dataChunks}, resent 0`);
  }, 120_000);
});
