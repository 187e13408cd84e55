// The live charts (uPlot): one small time chart per measure, each as wide as its grid cell.
// `data-points` on each figure tells tests (and the curious) how many points it draws.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { MetricPoint, Series } from './metrics.js';

type SeriesKey = Exclude<keyof MetricPoint, 't'>;

interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  series: Array<{ key: SeriesKey; label: string; color: string; dash?: number[] }>;
  /** Fixed y range where the measure has one. */
  range?: [number, number];
}

const CHARTS: ChartSpec[] = [
  {
    id: 'rtt',
    title: 'Round-trip time',
    unit: 'ms',
    series: [
      { key: 'rttSmoothed', label: 'smoothed', color: '#2563eb' },
      { key: 'rttLatest', label: 'latest', color: '#93c5fd' },
    ],
  },
  {
    id: 'loss',
    title: 'Packet loss',
    unit: '%',
    series: [
      { key: 'lossMeasured', label: 'PDU measures', color: '#dc2626' },
      { key: 'lossInjected', label: 'injected', color: '#6b7280', dash: [4, 4] },
    ],
  },
  {
    id: 'bandwidth',
    title: 'Bandwidth estimate',
    unit: 'Mbit/s',
    series: [
      { key: 'bandwidth', label: 'estimate', color: '#059669' },
      { key: 'rateCap', label: 'rate cap', color: '#6b7280', dash: [4, 4] },
    ],
  },
  { id: 'severity', title: 'Congestion severity', unit: '0..1', series: [{ key: 'severity', label: 'severity', color: '#d97706' }], range: [0, 1] },
  { id: 'fragment', title: 'Fragment size', unit: 'bytes', series: [{ key: 'fragmentSize', label: 'last fragment', color: '#7c3aed' }] },
  {
    id: 'retransmissions',
    title: 'Retransmissions',
    unit: 'per s',
    series: [
      { key: 'predictive', label: 'predictive', color: '#0891b2' },
      { key: 'timeout', label: 'timeout', color: '#dc2626' },
      { key: 'spurious', label: 'spurious', color: '#a3a3a3' },
    ],
  },
  {
    id: 'latency',
    title: 'Message latency (send to delivered)',
    unit: 'ms',
    series: [
      { key: 'latencyMean', label: 'mean', color: '#db2777' },
      { key: 'latencyMax', label: 'max', color: '#f9a8d4' },
    ],
  },
];

const HEIGHT = 150;

export class Charts {
  private readonly plots: Array<{ spec: ChartSpec; plot: uPlot; figure: HTMLElement }> = [];

  constructor(container: HTMLElement) {
    for (const spec of CHARTS) {
      const figure = document.createElement('figure');
      figure.className = 'chart';
      figure.id = `chart-${spec.id}`;
      figure.dataset.points = '0';
      const caption = document.createElement('figcaption');
      caption.textContent = `${spec.title} (${spec.unit})`;
      figure.append(caption);
      container.append(figure);
      const plot = new uPlot(
        {
          width: Math.max(200, figure.clientWidth),
          height: HEIGHT,
          scales: { x: { time: false }, y: spec.range ? { range: spec.range } : { range: (_u, min, max) => [Math.min(0, min ?? 0), Math.max(1, (max ?? 1) * 1.1)] } },
          axes: [{ label: 's', size: 30, labelSize: 12 }, { size: 50 }],
          legend: { live: false },
          cursor: { show: false },
          series: [{ label: 't' }, ...spec.series.map((s) => ({ label: s.label, stroke: s.color, width: 1.5, ...(s.dash ? { dash: s.dash } : {}) }))],
        },
        [[], ...spec.series.map(() => [])],
        figure,
      );
      plot.root.setAttribute('role', 'img');
      plot.root.setAttribute('aria-label', `${spec.title} over time`);
      this.plots.push({ spec, plot, figure });
    }
    // Follow the grid cell's width (phones, window resizes).
    const resize = new ResizeObserver(() => {
      for (const { plot, figure } of this.plots) {
        const width = Math.max(200, figure.clientWidth);
        if (width !== plot.width) plot.setSize({ width, height: HEIGHT });
      }
    });
    for (const { figure } of this.plots) resize.observe(figure);
  }

  update(series: Series): void {
    for (const { spec, plot, figure } of this.plots) {
      plot.setData([series.t, ...spec.series.map((s) => series[s.key])] as uPlot.AlignedData);
      figure.dataset.points = String(series.t.length);
    }
  }
}
