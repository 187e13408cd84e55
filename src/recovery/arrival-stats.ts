/**
 * Receiver-side view of the incoming packet stream: the arrival rhythm (smoothed interval and
 * its deviation), the share of recent packet numbers that went missing, and how often and how
 * late holes are filled by reordered packets. These are the predictor's gap and jitter inputs.
 */
export class ArrivalStats {
  private lastArrival: number | undefined;
  private interval = 0;
  private intervalDeviation = 0;
  private lossEwma = 0;
  private reorderEwma = 0;
  private reorderDelay = 0;
  private tailPause = 0;

  /** Gain of the loss and reorder averages: about the last 64 events weigh in. */
  private static readonly gain = 1 / 64;

  get lastArrivalTime(): number | undefined {
    return this.lastArrival;
  }

  get interArrivalMs(): number {
    return this.interval;
  }

  get interArrivalJitterMs(): number {
    return this.intervalDeviation;
  }

  get lossRate(): number {
    return this.lossEwma;
  }

  get reorderRate(): number {
    return this.reorderEwma;
  }

  get reorderDelayMs(): number {
    return this.reorderDelay;
  }

  /** How long recent silences inside incomplete messages lasted before the awaited packets came. */
  get tailPauseMs(): number {
    return this.tailPause;
  }

  onArrival(now: number): void {
    if (this.lastArrival !== undefined) {
      const gap = Math.max(0, now - this.lastArrival);
      // Idle periods between bursts are not the rhythm of a burst: cap their weight.
      const sample = this.interval > 0 ? Math.min(gap, 8 * this.interval + 1) : gap;
      this.intervalDeviation += (Math.abs(sample - this.interval) - this.intervalDeviation) / 8;
      this.interval += (sample - this.interval) / 8;
    }
    this.lastArrival = now;
  }

  /** One new packet number observed: `missing` of them were skipped on the way to it. */
  onSequence(missing: number): void {
    const g = ArrivalStats.gain;
    for (let i = 0; i < Math.min(missing, 64); i++) this.lossEwma += (1 - this.lossEwma) * g;
    this.lossEwma += (0 - this.lossEwma) * g;
  }

  /**
   * The packets an incomplete message was waiting for arrived after `silenceMs` of silence. A
   * sender held by its window (SCTP's, below PDU) sends in flights about one RTT apart, so such
   * pauses are normal there and say how long a tail must stay silent before it means loss. The
   * estimate jumps to a longer pause at once and forgets it slowly.
   */
  onTailResumed(silenceMs: number): void {
    this.tailPause = silenceMs >= this.tailPause ? silenceMs : this.tailPause + (silenceMs - this.tailPause) / 8;
  }

  /** A hole was closed: by a late packet (`filledLateMs` defined) or given up as lost. */
  onHoleResolved(filledLateMs: number | undefined): void {
    const g = ArrivalStats.gain;
    if (filledLateMs === undefined) {
      this.reorderEwma += (0 - this.reorderEwma) * g;
      return;
    }
    this.reorderEwma += (1 - this.reorderEwma) * g;
    this.reorderDelay += (filledLateMs - this.reorderDelay) / 8;
    // A late packet was counted as missing: take that back.
    this.lossEwma = Math.max(0, this.lossEwma - g);
  }
}
