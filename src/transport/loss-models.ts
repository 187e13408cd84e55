/**
 * Per-packet loss models shared by the simulated link and the real-network router
 * (CONTRACTS.md, "Loss models"). A model only decides fates; the caller owns the Rng,
 * the clock and the packets. Parameters are public fields so impairment can change mid-run.
 */
import type { Rng } from './rng.js';
import type { PacketTrace } from './traces.js';

export interface PacketFate {
  readonly lost: boolean;
  /** One-way delay in ms when the model dictates it (trace replay); otherwise the link's own delay applies. */
  readonly delayMs?: number | undefined;
}

export interface LossModel {
  /** Decides the next packet's fate, advancing the model's state. */
  next(rng: Rng): PacketFate;
  /** Long-run fraction of packets lost (for reports and scenario rows). */
  meanLoss(): number;
  /** A spec string that parseLossSpec turns into an equivalent model. */
  spec(): string;
}

const KEPT: PacketFate = { lost: false };
const LOST: PacketFate = { lost: true };

export class NoLoss implements LossModel {
  next(): PacketFate {
    return KEPT;
  }
  meanLoss(): number {
    return 0;
  }
  spec(): string {
    return 'none';
  }
}

export class BernoulliLoss implements LossModel {
  constructor(public p: number) {
    checkProbability('bern', 'p', p);
  }
  next(rng: Rng): PacketFate {
    return rng.chance(this.p) ? LOST : KEPT;
  }
  meanLoss(): number {
    return this.p;
  }
  spec(): string {
    return `bern:${this.p}`;
  }
}

/**
 * Two-state Markov loss. Per packet the state first moves (Good->Bad with p, Bad->Good with r),
 * then the packet is lost with the state's loss probability. Steady-state loss with the default
 * lossGood 0 / lossBad 1 is p/(p+r); bursts last 1/r packets on average.
 */
export class GilbertElliottLoss implements LossModel {
  bad = false;

  constructor(
    public p: number,
    public r: number,
    public lossGood = 0,
    public lossBad = 1,
  ) {
    checkProbability('ge', 'p', p);
    checkProbability('ge', 'r', r);
    checkProbability('ge', 'lossGood', lossGood);
    checkProbability('ge', 'lossBad', lossBad);
    if (p + r === 0) throw new RangeError('ge: p and r cannot both be 0 (the chain would never mix)');
  }

  /** From mean run lengths in packets: p = 1/good, r = 1/bad. */
  static fromRuns(goodRun: number, badRun: number, lossGood = 0, lossBad = 1): GilbertElliottLoss {
    if (!(goodRun >= 1) || !(badRun >= 1)) throw new RangeError(`ge: mean run lengths must be >= 1 packet, got ${goodRun}/${badRun}`);
    return new GilbertElliottLoss(1 / goodRun, 1 / badRun, lossGood, lossBad);
  }

  next(rng: Rng): PacketFate {
    this.bad = this.bad ? !rng.chance(this.r) : rng.chance(this.p);
    return rng.chance(this.bad ? this.lossBad : this.lossGood) ? LOST : KEPT;
  }

  meanLoss(): number {
    const badShare = this.p / (this.p + this.r);
    return badShare * this.lossBad + (1 - badShare) * this.lossGood;
  }

  spec(): string {
    const runs = `ge:${1 / this.p}/${1 / this.r}`;
    return this.lossGood === 0 && this.lossBad === 1 ? runs : `${runs}/${this.lossGood}/${this.lossBad}`;
  }
}

/** Mean good/bad run lengths in packets (CONTRACTS.md). */
export const GE_PRESETS = {
  wifi_lossy: { good: 40, bad: 2 },
  cellular: { good: 100, bad: 2 },
  congested: { good: 20, bad: 2 },
  satellite: { good: 100, bad: 3 },
  /** What "10% Gilbert-Elliott" means in tests. */
  ge10: { good: 18, bad: 2 },
} as const satisfies Record<string, { good: number; bad: number }>;

export type GePresetName = keyof typeof GE_PRESETS;

/** Each packet takes the next trace entry (lost, one-way delay), looping at the end. */
export class TraceReplayLoss implements LossModel {
  private readonly lossFraction: number;

  constructor(
    readonly trace: PacketTrace,
    public index = 0,
  ) {
    if (trace.lost.length === 0) throw new RangeError(`trace ${trace.name} is empty`);
    let lost = 0;
    for (const flag of trace.lost) lost += flag;
    this.lossFraction = lost / trace.lost.length;
    this.index = index % trace.lost.length;
  }

  next(): PacketFate {
    const i = this.index;
    this.index = (i + 1) % this.trace.lost.length;
    return { lost: this.trace.lost[i] === 1, delayMs: this.trace.delayMs[i] as number };
  }

  meanLoss(): number {
    return this.lossFraction;
  }

  spec(): string {
    return `trace:${this.trace.name}`;
  }
}

export interface LossSpecOptions {
  /** Supplies per-packet traces by name for `trace:<name>` (trace-files.node.ts has one for the shared traces). */
  resolveTrace?: (name: string) => PacketTrace;
}

/**
 * Parses `none`, `bern:<p>`, `ge:<preset>`, `ge:<good>/<bad>[/<lossGood>/<lossBad>]`, `trace:<name>`.
 * Throws a RangeError that names the problem, so a CLI can show it as is.
 */
export function parseLossSpec(spec: string, options: LossSpecOptions = {}): LossModel {
  const text = spec.trim();
  if (text === 'none' || text === '') return new NoLoss();
  const colon = text.indexOf(':');
  const kind = colon < 0 ? text : text.slice(0, colon);
  const arg = colon < 0 ? '' : text.slice(colon + 1);
  switch (kind) {
    case 'bern':
      return new BernoulliLoss(parseNumber(arg, spec, 'p'));
    case 'ge': {
      const preset = (GE_PRESETS as Record<string, { good: number; bad: number }>)[arg];
      if (preset) return GilbertElliottLoss.fromRuns(preset.good, preset.bad);
      const parts = arg.split('/');
      if (parts.length !== 2 && parts.length !== 4) {
        throw new RangeError(`loss spec ${JSON.stringify(spec)}: expected ge:<good>/<bad>, ge:<good>/<bad>/<lossGood>/<lossBad> or a preset (${Object.keys(GE_PRESETS).join(', ')})`);
      }
      const [good, bad, lossGood, lossBad] = parts.map((part, i) => parseNumber(part, spec, ['good run', 'bad run', 'lossGood', 'lossBad'][i] as string));
      return GilbertElliottLoss.fromRuns(good as number, bad as number, lossGood ?? 0, lossBad ?? 1);
    }
    case 'trace': {
      if (arg === '') throw new RangeError(`loss spec ${JSON.stringify(spec)}: trace needs a name`);
      if (!options.resolveTrace) throw new RangeError(`loss spec ${JSON.stringify(spec)}: no trace resolver given, cannot load ${arg}`);
      return new TraceReplayLoss(options.resolveTrace(arg));
    }
    default:
      throw new RangeError(`loss spec ${JSON.stringify(spec)}: unknown kind ${JSON.stringify(kind)} (use none, bern:, ge: or trace:)`);
  }
}

function parseNumber(text: string, spec: string, what: string): number {
  const v = text.trim() === '' ? NaN : Number(text);
  if (!Number.isFinite(v)) throw new RangeError(`loss spec ${JSON.stringify(spec)}: ${what} ${JSON.stringify(text)} is not a number`);
  return v;
}

function checkProbability(model: string, name: string, value: number): void {
  if (!(value >= 0 && value <= 1)) {
    const hint = value > 1 && value <= 100 ? ` (write ${value / 100} for ${value}%)` : '';
    throw new RangeError(`${model}: ${name} must be a probability in [0, 1], got ${value}${hint}`);
  }
}
