/**
 * Token-bucket pacer. Tokens (bytes) refill at the controller's pacing rate up to a burst, so an
 * idle sender may put one short burst on the channel at once (a small message leaves without
 * pacing delay) while a long transfer is spread evenly. The burst is at least what the rate
 * delivers in `timerSlackMs`: hosts wake the engine with timers that browsers clamp to 4 ms, and
 * a smaller bucket would cap the rate at one burst per timer tick however fast the path is.
 */
export class Pacer {
  private tokens: number;
  private lastRefill: number | undefined;

  constructor(
    private readonly minBurstBytes: number,
    private readonly timerSlackMs: number,
  ) {
    this.tokens = minBurstBytes;
  }

  /** Earliest time `bytes` may be sent at `rate` (bytes/ms); `now` when they may go at once. */
  sendTime(bytes: number, rate: number, now: number): number {
    this.refill(rate, now);
    // A hair of slack so float rounding in the refill cannot keep a due packet waiting.
    if (this.tokens >= bytes - 1e-6) return now;
    return now + (bytes - this.tokens) / Math.max(rate, 1e-6);
  }

  onSent(bytes: number, rate: number, now: number): void {
    this.refill(rate, now);
    this.tokens -= bytes;
  }

  private refill(rate: number, now: number): void {
    if (this.lastRefill !== undefined && now > this.lastRefill) {
      const burst = Math.max(this.minBurstBytes, rate * this.timerSlackMs);
      this.tokens = Math.min(burst, this.tokens + (now - this.lastRefill) * rate);
    }
    if (this.lastRefill === undefined || now > this.lastRefill) this.lastRefill = now;
  }
}
