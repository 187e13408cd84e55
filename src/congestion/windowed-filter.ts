/**
 * Running maximum over the last `windowRounds` round trips, as BBR keeps its bottleneck
 * bandwidth: one best sample per round in a ring, the answer the best among live rounds.
 */
export class WindowedMaxFilter {
  private readonly values: number[];
  private readonly rounds: number[];
  private best = 0;

  constructor(private readonly windowRounds: number) {
    this.values = new Array<number>(windowRounds).fill(0);
    this.rounds = new Array<number>(windowRounds).fill(-Infinity);
  }

  get value(): number {
    return this.best;
  }

  update(value: number, round: number): void {
    const slot = round % this.windowRounds;
    if (this.rounds[slot] !== round) {
      this.rounds[slot] = round;
      this.values[slot] = value;
    } else if (value > this.values[slot]!) {
      this.values[slot] = value;
    }
    let best = 0;
    for (let i = 0; i < this.windowRounds; i++) {
      if (round - this.rounds[i]! < this.windowRounds) best = Math.max(best, this.values[i]!);
    }
    this.best = best;
  }
}
