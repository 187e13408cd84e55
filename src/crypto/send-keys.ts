/**
 * The sending half of key update (RFC 9001 §6-like). A sender moves to the next epoch, flipping
 * the K bit, after `rekeyAfterPackets` packets or `rekeyAfterMs`, but only once the peer has
 * acknowledged a packet of the current epoch: the peer then certainly holds the current keys and
 * has precomputed the next, so a single K bit can never be ambiguous (no epoch is skipped).
 */
import { MAX_PACKET_NUMBER } from '../wire/constants.js';
import { nextEpochKeys, wipeEpochKeys, type EpochKeys } from './key-schedule.js';

export interface SendKeyPolicy {
  rekeyAfterPackets: number;
  rekeyAfterMs: number;
}

export class SendKeys {
  keys: EpochKeys;
  /** Next packet number to use: strictly increasing across epochs, never reused. */
  nextPacketNumber = 0;
  rekeys = 0;
  private epochFirstPacket = 0;
  private epochStartedAt: number;
  private epochConfirmed = false;
  private readonly policy: SendKeyPolicy;

  constructor(initial: EpochKeys, policy: SendKeyPolicy, now: number) {
    this.keys = initial;
    this.policy = policy;
    this.epochStartedAt = now;
  }

  get keyPhase(): 0 | 1 {
    return (this.keys.epoch & 1) as 0 | 1;
  }

  get exhausted(): boolean {
    return this.nextPacketNumber > MAX_PACKET_NUMBER;
  }

  /** The peer acknowledged `largest`: if it belongs to this epoch, the epoch is confirmed. */
  onAcknowledged(largest: number): void {
    if (largest >= this.epochFirstPacket && largest < this.nextPacketNumber) this.epochConfirmed = true;
  }

  /** Takes the next packet number, moving to the next epoch first when it is due and safe. */
  take(now: number): number {
    const sent = this.nextPacketNumber - this.epochFirstPacket;
    const due = sent >= this.policy.rekeyAfterPackets || now - this.epochStartedAt >= this.policy.rekeyAfterMs;
    if (due && this.epochConfirmed) {
      const next = nextEpochKeys(this.keys);
      wipeEpochKeys(this.keys);
      this.keys = next;
      this.epochFirstPacket = this.nextPacketNumber;
      this.epochStartedAt = now;
      this.epochConfirmed = false;
      this.rekeys++;
    }
    return this.nextPacketNumber++;
  }
}
