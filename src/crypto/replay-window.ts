/**
 * Sliding replay window over full packet numbers (the IPsec / DTLS bitmap, RFC 4303 §3.4.3):
 * one bit per packet number in [largest - size + 1, largest]. It is consulted before decryption
 * and updated only after a packet authenticates, so forgeries cannot move it.
 */
export type ReplayVerdict = 'fresh' | 'duplicate' | 'too_old';

export class ReplayWindow {
  /** Packet numbers the window remembers (a multiple of 32). */
  readonly size: number;
  private readonly bits: Uint32Array;
  private largestAccepted = -1;

  constructor(size: number) {
    this.size = Math.max(32, Math.ceil(size / 32) * 32);
    this.bits = new Uint32Array(this.size / 32);
  }

  /** Largest accepted packet number, -1 before the first. */
  get largest(): number {
    return this.largestAccepted;
  }

  check(packetNumber: number): ReplayVerdict {
    if (packetNumber > this.largestAccepted) return 'fresh';
    if (packetNumber <= this.largestAccepted - this.size) return 'too_old';
    return this.isSet(packetNumber) ? 'duplicate' : 'fresh';
  }

  /** Records an authenticated packet (which passed `check`). */
  accept(packetNumber: number): void {
    if (packetNumber > this.largestAccepted) {
      // Slots between the old and new largest now stand for newer packet numbers: clear them.
      const advance = packetNumber - this.largestAccepted;
      if (advance >= this.size) this.bits.fill(0);
      else for (let pn = this.largestAccepted + 1; pn < packetNumber; pn++) this.clear(pn);
      this.largestAccepted = packetNumber;
    }
    const slot = packetNumber % this.size;
    this.bits[slot >>> 5] = (this.bits[slot >>> 5] as number) | (1 << (slot & 31));
  }

  private isSet(packetNumber: number): boolean {
    const slot = packetNumber % this.size;
    return (((this.bits[slot >>> 5] as number) >>> (slot & 31)) & 1) === 1;
  }

  private clear(packetNumber: number): void {
    const slot = packetNumber % this.size;
    this.bits[slot >>> 5] = (this.bits[slot >>> 5] as number) & ~(1 << (slot & 31));
  }
}
