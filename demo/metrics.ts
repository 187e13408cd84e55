// Turns the sending peer's stats (every 500 ms) and the latencies of its messages into the points
// the charts draw. Cumulative counters become rates per second; latencies are summarised per
// interval. Only the last WINDOW points are kept.
import type { EngineStats } from '../src/engine/index.js';

const WINDOW = 240;

/** Series names, in the order the charts use them; x is seconds since the connection. */
export interface MetricPoint {
  t: number;
  rttSmoothed: number;
  rttLatest: number;
  lossMeasured: number;
  lossInjected: number;
  bandwidth: number;
  rateCap: number | null;
  severity: number;
  fragmentSize: number;
  predictive: number;
  timeout: number;
  spurious: number;
  latencyMean: number | null;
  latencyMax: number | null;
}

export type Series = { [K in keyof MetricPoint]: Array<MetricPoint[K]> };

/** The impairment in force, for the "injected" series drawn beside what PDU measures. */
export interface InjectedImpairment {
  lossPercent: number;
  rateMbit: number;
}

export class Metrics {
  readonly series: Series = {
    t: [],
    rttSmoothed: [],
    rttLatest: [],
    lossMeasured: [],
    lossInjected: [],
    bandwidth: [],
    rateCap: [],
    severity: [],
    fragmentSize: [],
    predictive: [],
    timeout: [],
    spurious: [],
    latencyMean: [],
    latencyMax: [],
  };
  private readonly startedAt = performance.now();
  private previous: { at: number; retx: EngineStats['recovery']['retransmissions'] } | undefined;
  private latencies: number[] = [];

  constructor(private readonly injected: () => InjectedImpairment) {}

  /** A message of ours reached the peer `ms` after `send`. */
  recordLatency(ms: number): void {
    this.latencies.push(ms);
  }

  /** Adds one point from a stats snapshot. */
  add(stats: EngineStats): void {
    const at = performance.now();
    const retx = stats.recovery.retransmissions;
    const dt = this.previous ? (at - this.previous.at) / 1000 : 0;
    const rate = (now: number, before: number | undefined) => (dt > 0 && before !== undefined ? Math.max(0, now - before) / dt : 0);
    const report = stats.congestion.report;
    const { lossPercent, rateMbit } = this.injected();
    const lat = this.latencies;
    this.push({
      t: (at - this.startedAt) / 1000,
      rttSmoothed: stats.rtt.srtt,
      rttLatest: stats.rtt.latest,
      lossMeasured: report.packetLoss * 100,
      lossInjected: lossPercent,
      bandwidth: report.bandwidth / 1e6,
      rateCap: rateMbit > 0 ? rateMbit : null,
      severity: report.severity,
      fragmentSize: stats.sharding.lastFragmentSize,
      predictive: rate(retx.predictive, this.previous?.retx.predictive),
      timeout: rate(retx.timeout, this.previous?.retx.timeout),
      spurious: rate(retx.spurious, this.previous?.retx.spurious),
      latencyMean: lat.length > 0 ? lat.reduce((s, v) => s + v, 0) / lat.length : null,
      latencyMax: lat.length > 0 ? Math.max(...lat) : null,
    });
    this.previous = { at, retx: { ...retx } };
    this.latencies = [];
  }

  get length(): number {
    return this.series.t.length;
  }

  private push(point: MetricPoint): void {
    for (const key of Object.keys(point) as Array<keyof MetricPoint>) {
      const column = this.series[key] as unknown[];
      column.push(point[key]);
      if (column.length > WINDOW) column.shift();
    }
  }
}
