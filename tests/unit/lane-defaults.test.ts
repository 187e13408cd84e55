import { describe, expect, it } from 'vitest';
import { withLaneDefaults } from '../../src/channel/pdu-channel.js';
import { DEFAULT_CONFIG, STRIPED_ASKED_ACK_DELAY_RTT } from '../../src/engine/index.js';

describe('withLaneDefaults (what a striped PduChannel changes in the engine config)', () => {
  it('leaves one connection on the engine defaults', () => {
    const options = { ack: { maxAckRanges: 16 } };
    expect(withLaneDefaults(options, 1)).toBe(options);
    expect(DEFAULT_CONFIG.ack.askedAckDelayRtt).toBe(0);
    expect(DEFAULT_CONFIG.recovery.duplicateRetransmissions).toBe(false);
  });

  it("over stripes, duplicates likely second rounds and lets an asked-for ACK wait srtt/32, unless the caller chose", () => {
    const striped = withLaneDefaults({ ack: { maxAckRanges: 16 } }, 4);
    expect(striped.recovery).toEqual({ duplicateRetransmissions: 'auto' });
    expect(striped.ack).toEqual({ maxAckRanges: 16, askedAckDelayRtt: STRIPED_ASKED_ACK_DELAY_RTT });
    expect(STRIPED_ASKED_ACK_DELAY_RTT).toBeGreaterThan(0);
    const chosen = withLaneDefaults({ recovery: { duplicateRetransmissions: false }, ack: { askedAckDelayRtt: 0 } }, 2);
    expect(chosen.recovery).toEqual({ duplicateRetransmissions: false });
    expect(chosen.ack).toEqual({ askedAckDelayRtt: 0 });
  });
});
