/**
 * The receiving half of key update. The receiver holds the current epoch's keys, the next epoch's
 * (derived ahead, so the first packet of a new epoch opens without delay) and, for a grace period
 * after switching, the previous epoch's, so fragments sealed before the switch still open.
 * Which keys a packet needs follows from its K bit and packet number (RFC 9001 §6.3):
 * same phase -> current; other phase and older than the current epoch's first packet -> previous;
 * other phase otherwise -> next. Keys change only after a packet authenticates.
 */
import { nextEpochKeys, wipeEpochKeys, type EpochKeys } from './key-schedule.js';

export class ReceiveKeys {
  current: EpochKeys;
  rekeys = 0;
  private next: EpochKeys;
  private previous: EpochKeys | undefined;
  private previousExpiresAt = 0;
  /** Smallest packet number opened in the current epoch. */
  private currentFirstPacket = Number.POSITIVE_INFINITY;
  private readonly graceMs: number;

  constructor(initial: EpochKeys, graceMs: number) {
    this.current = initial;
    this.next = nextEpochKeys(initial);
    this.graceMs = graceMs;
  }

  /** Keys for a packet, or undefined when it belongs to a discarded epoch. */
  select(keyPhase: 0 | 1, packetNumber: number, now: number): EpochKeys | undefined {
    this.expirePrevious(now);
    if (keyPhase === (this.current.epoch & 1)) return this.current;
    // Older than this epoch: the previous epoch's keys, if still kept (epoch 0 has no previous).
    if (this.current.epoch > 0 && packetNumber < this.currentFirstPacket) return this.previous;
    return this.next;
  }

  /** Records that `keys` opened `packetNumber`; switches epochs when they were the next keys. */
  opened(keys: EpochKeys, packetNumber: number, now: number): void {
    if (keys === this.next) {
      if (this.previous !== undefined) wipeEpochKeys(this.previous);
      this.previous = this.current;
      this.previousExpiresAt = now + this.graceMs;
      this.current = this.next;
      this.next = nextEpochKeys(this.current);
      this.currentFirstPacket = packetNumber;
      this.rekeys++;
    } else if (keys === this.current && packetNumber < this.currentFirstPacket) {
      this.currentFirstPacket = packetNumber;
    }
  }

  private expirePrevious(now: number): void {
    if (this.previous !== undefined && now >= this.previousExpiresAt) {
      wipeEpochKeys(this.previous);
      this.previous = undefined;
    }
  }
}
