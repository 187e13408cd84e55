// CI subset of bench:net: PDU between two headless Chromiums, one per namespace (each launched by
// a Node agent inside its namespace, pages served by a Vite server on that namespace's loopback),
// across the emulated link at 5% loss each way and RTT 50 ms. Behaviour, not timing.
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { NetemTopology, netemUnavailableReason } from '../../src/netem/index.js';
import { expectPduRecoveredEveryLoss, pduAtFivePercent } from './pdu-support.js';

const executable = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const unavailable = netemUnavailableReason() ?? (existsSync(executable) ? undefined : `chromium: skipped, no browser at ${executable} (set CHROMIUM_PATH)`);
if (unavailable) console.log(unavailable);

let net: NetemTopology | undefined;
afterEach(() => {
  net?.teardown();
  net = undefined;
});

describe.skipIf(unavailable !== undefined)('PDU over the emulated link, Chromium <-> Chromium', () => {
  it('delivers every message at 5% loss, recovered by PDU on a channel with no SCTP retransmission', async () => {
    net = await NetemTopology.setup({ seed: 7 });
    const r = await pduAtFivePercent(net, 'chromium-chromium');
    expectPduRecoveredEveryLoss(r);
    expect(r.sender.stats!.predictor).toBe('heuristic');
    const retx = r.sender.stats!.retransmissions;
    console.log(`pdu chromium-chromium: ${r.received.count}/${r.send.sent} delivered; PDU retransmissions nack ${retx.predictive} / timer ${retx.timeout} (spurious ${retx.spurious})`);
  }, 180_000);
});
