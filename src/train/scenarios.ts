/**
 * The scenarios the predictor is trained and judged on: the shared real traces replayed through
 * the link simulator, plus loss models for variety (CONTRACTS.md, "Data for the predictor").
 * Every scenario belongs to exactly one split, and a split is decided by trace or by time
 * segment of a trace, never by row: `checkSplits` enforces it.
 */
import type { CapacitySchedule } from '../transport/capacity.js';
import type { LinkConfig } from '../transport/link.js';
import { GilbertElliottLoss, BernoulliLoss, TraceReplayLoss } from '../transport/loss-models.js';
import type { PacketTrace } from '../transport/traces.js';
import { segmentsOverlap, sliceTrace, timeFolds, type TraceSegment } from './trace-slice.js';

export type Split = 'train' | 'validation' | 'test';

/** Where traces come from: the Node loader over ../shared/traces, or fetched files in a browser. */
export interface TraceLibrary {
  packet(name: string): PacketTrace;
  /** A capacity trace by its path inside the traces folder. */
  capacity(path: string): CapacitySchedule;
}

export interface Workload {
  messageBytes: number;
  intervalMs: number;
  messages: number;
}

export interface Scenario {
  /** CONTRACTS.md name grammar: `trace-<name>-...`, `ge-<preset>-...`, `cap-<trace>-...`. */
  name: string;
  split: Split;
  /** The data this scenario draws on (trace files, or a loss-model family) and which part of each. */
  sources: readonly { id: string; segment?: TraceSegment }[];
  /** False when it needs nothing from the traces folder. */
  usesTraces: boolean;
  workload: Workload;
  /** Both link directions, built fresh per run (loss models carry state). */
  links(lib: TraceLibrary | undefined): { aToB: Partial<LinkConfig>; bToA: Partial<LinkConfig> };
  /**
   * Per-packet trace replays only: the same scenario with the replay starting `phase` (0..1) of
   * the way into its segment, so that the trace's loss bursts meet the messages at other points.
   * Same data, same split: several phases make a p99 over a few bursts less of a coin toss.
   */
  withPhase?(phase: number): Scenario;
  /** The simulation seed this scenario is replayed with (loss models, jitter); 1 when absent. */
  seed?: number;
}

/** Below-capacity load of CONTRACTS.md (16 KiB at 5/s): every fragment's fate is the path's, not a queue's. */
const BELOW_CAPACITY: Workload = { messageBytes: 16 * 1024, intervalMs: 200, messages: 300 };
/**
 * The same load, three times as long, where a p99 is judged on a trace: a p99 over 300 messages
 * is the third worst, decided by one or two loss bursts.
 */
const BELOW_CAPACITY_LONG: Workload = { ...BELOW_CAPACITY, messages: 900 };
/** A quarter of the LTE traces' mean capacity: loss and queueing come from their dips. */
const CELLULAR: Workload = { messageBytes: 4 * 1024, intervalMs: 100, messages: 300 };
/** Small messages at a fast rhythm: most gaps are seen by a successor within a few ms. */
const CHATTY: Workload = { messageBytes: 1024, intervalMs: 20, messages: 1500 };

function requireLib(lib: TraceLibrary | undefined, name: string): TraceLibrary {
  if (!lib) throw new Error(`scenario ${name} needs the shared traces folder (../shared/traces or $PDU_TRACES_DIR)`);
  return lib;
}

/**
 * Per-packet trace replay on the data path. The return path (ACKs, NACKs: a few packets per
 * second) takes its own trace when there is one; otherwise the same segment's delays without
 * its losses, because a burst of 30 lost probes replayed packet by packet on so sparse a path
 * would silence feedback for seconds instead of the 0.3 s the outage lasted.
 */
function packetTraceScenario(name: string, split: Split, trace: string, segment: TraceSegment, workload: Workload, reverseTrace?: string, phase = 0): Scenario {
  return {
    name: phase === 0 ? name : `${name}@${phase}`,
    split,
    sources: [{ id: trace, segment }, ...(reverseTrace ? [{ id: reverseTrace, segment }] : [])],
    usesTraces: true,
    workload,
    links(lib) {
      const l = requireLib(lib, name);
      const forward = sliceTrace(l.packet(trace), segment);
      const reverse = reverseTrace ? sliceTrace(l.packet(reverseTrace), segment) : { ...forward, lost: new Uint8Array(forward.lost.length) };
      const at = (t: { lost: Uint8Array }) => Math.floor(phase * t.lost.length);
      return { aToB: { loss: new TraceReplayLoss(forward, at(forward)), delayMs: 0 }, bToA: { loss: new TraceReplayLoss(reverse, at(reverse)), delayMs: 0 } };
    },
    withPhase: (p) => packetTraceScenario(name, split, trace, segment, workload, reverseTrace, p),
  };
}

/** Capacity replay one way (the bottleneck tail-drops in the trace's dips), a clean return path. */
function capacityScenario(name: string, split: Split, path: string, oneWayMs: number, queueBytes: number, workload: Workload): Scenario {
  return {
    name,
    split,
    sources: [{ id: path }],
    usesTraces: true,
    workload,
    links(lib) {
      const l = requireLib(lib, name);
      return { aToB: { capacity: l.capacity(path), queueLimitBytes: queueBytes, delayMs: oneWayMs, jitterMs: 1 }, bToA: { delayMs: oneWayMs, jitterMs: 1 } };
    },
  };
}

/**
 * Loss model with jittered, reordering delivery: the case where a gap is often a late packet,
 * which the FIFO trace replays never produce.
 */
function modelScenario(name: string, split: Split, family: string, make: () => BernoulliLoss | GilbertElliottLoss, oneWayMs: number, jitterMs: number, workload: Workload): Scenario {
  return {
    name,
    split,
    sources: [{ id: family }],
    usesTraces: false,
    workload,
    links() {
      const link = (): Partial<LinkConfig> => ({ loss: make(), delayMs: oneWayMs, jitterMs, reorder: jitterMs > 0 });
      return { aToB: link(), bToA: link() };
    },
  };
}

const LENS_TRAIN: TraceSegment = { from: 0, to: 0.6 };
const LENS_VALIDATION: TraceSegment = { from: 0.6, to: 0.8 };
const LENS_TEST: TraceSegment = { from: 0.8, to: 1 };
const WHOLE: TraceSegment = { from: 0, to: 1 };

export const SCENARIOS: readonly Scenario[] = [
  // Starlink LENS ping trace, split by time: 60% / 20% / 20%.
  packetTraceScenario('trace-starlink_lens-train', 'train', 'starlink_lens', LENS_TRAIN, BELOW_CAPACITY),
  packetTraceScenario('trace-starlink_lens-train-chatty', 'train', 'starlink_lens', LENS_TRAIN, CHATTY),
  packetTraceScenario('trace-starlink_lens-validation', 'validation', 'starlink_lens', LENS_VALIDATION, BELOW_CAPACITY_LONG),
  packetTraceScenario('trace-starlink_lens-test', 'test', 'starlink_lens', LENS_TEST, BELOW_CAPACITY_LONG),
  // Starlink irtt (uplink data, downlink feedback): never used in training.
  packetTraceScenario('trace-starlink_irtt-test', 'test', 'starlink_irtt_up', WHOLE, BELOW_CAPACITY_LONG, 'starlink_irtt_down'),
  // Capacity replay: congestion loss in capacity dips, queueing delay. Each recording in one split.
  capacityScenario('cap-att_lte_2016_up-rtt60', 'train', 'mahimahi-cellular/ATT-LTE-driving-2016.up', 30, 32 * 1024, CELLULAR),
  capacityScenario('cap-verizon_lte_up-rtt60', 'train', 'mahimahi-cellular/Verizon-LTE-short.up', 30, 32 * 1024, CELLULAR),
  capacityScenario('cap-norway_bus-rtt80', 'train', 'pensieve-norway3g-fcc/cooked_test_traces/norway_bus_1', 40, 32 * 1024, BELOW_CAPACITY),
  capacityScenario('cap-norway_car-rtt80', 'train', 'pensieve-norway3g-fcc/cooked_test_traces/norway_car_1', 40, 32 * 1024, BELOW_CAPACITY),
  capacityScenario('cap-tmobile_lte_up-rtt60', 'validation', 'mahimahi-cellular/TMobile-LTE-short.up', 30, 32 * 1024, CELLULAR),
  capacityScenario('cap-norway_ferry-rtt80', 'validation', 'pensieve-norway3g-fcc/cooked_test_traces/norway_ferry_1', 40, 32 * 1024, BELOW_CAPACITY),
  capacityScenario('cap-att_lte_down-rtt60', 'test', 'mahimahi-cellular/ATT-LTE-driving.down', 30, 32 * 1024, CELLULAR),
  capacityScenario('cap-norway_train-rtt80', 'test', 'pensieve-norway3g-fcc/cooked_test_traces/norway_train_1', 40, 32 * 1024, BELOW_CAPACITY),
  // Loss models with a little reordering jitter; each family belongs to one split.
  modelScenario('bern5-j1-rtt50', 'train', 'bern5-jitter', () => new BernoulliLoss(0.05), 25, 1, CHATTY),
  modelScenario('ge-congested-j1-rtt40', 'train', 'ge-congested-jitter', () => GilbertElliottLoss.fromRuns(20, 2), 20, 1, CHATTY),
  modelScenario('ge-cellular-j2-rtt100', 'train', 'ge-cellular-jitter', () => GilbertElliottLoss.fromRuns(100, 2), 50, 2, CHATTY),
  modelScenario('ge-wifi_lossy-j1-rtt30', 'validation', 'ge-wifi_lossy-jitter', () => GilbertElliottLoss.fromRuns(40, 2), 15, 1, CHATTY),
  modelScenario('ge-satellite-j2-rtt150', 'test', 'ge-satellite-jitter', () => GilbertElliottLoss.fromRuns(100, 3), 75, 2, CHATTY),
];

export function scenariosFor(split: Split, hasTraces: boolean, from: readonly Scenario[] = SCENARIOS): Scenario[] {
  return from.filter((s) => s.split === split && (hasTraces || !s.usesTraces));
}

/** LENS before the test segment: the training and validation segments together. */
const LENS_BEFORE_TEST: TraceSegment = { from: LENS_TRAIN.from, to: LENS_VALIDATION.to };

/**
 * LENS 0-80% in four time folds of 20%, the validation segment's length, replayed with its
 * workload: what the operating point is chosen on for Starlink (src/train/operating-point.ts).
 * One 20% segment holds two or three long outages, and the validation segment alone was the
 * easiest (5.0% spurious at the point chosen on it; 8.5-16.7% on the others, 11.1% on the test
 * segment). The folds are variants of one scenario, `trace-starlink_lens-folds@<from>-<to>`,
 * scored over all of them together. Each stays in the split of the data it draws on, so
 * checkSplits keeps them off the test segment like every other scenario.
 */
export const LENS_FOLDS: readonly Scenario[] = timeFolds(LENS_BEFORE_TEST, 4).map((segment) =>
  packetTraceScenario(
    `trace-starlink_lens-folds@${percent(segment.from)}-${percent(segment.to)}`,
    segmentsOverlap(segment, LENS_VALIDATION) ? 'validation' : 'train',
    'starlink_lens',
    segment,
    BELOW_CAPACITY_LONG,
  ),
);

/**
 * Where the operating point is chosen: the LENS folds and the validation split's other
 * scenarios (its LENS segment is one of the folds), never the test split.
 */
export function operatingPointScenarios(hasTraces: boolean): Scenario[] {
  const validation = scenariosFor('validation', hasTraces).filter((s) => !s.sources.some((x) => x.id === 'starlink_lens'));
  return [...(hasTraces ? LENS_FOLDS : []), ...validation];
}

function percent(fraction: number): number {
  return Math.round(fraction * 100);
}

/**
 * Throws when two splits draw on the same source where their segments overlap: the guarantee
 * that test figures come from data the model never saw.
 */
export function checkSplits(scenarios: readonly Scenario[]): void {
  for (const a of scenarios) {
    for (const b of scenarios) {
      if (a.split === b.split) continue;
      for (const sa of a.sources) {
        for (const sb of b.sources) {
          if (sa.id === sb.id && segmentsOverlap(sa.segment ?? WHOLE, sb.segment ?? WHOLE)) {
            throw new Error(`split leak: ${a.name} (${a.split}) and ${b.name} (${b.split}) share ${sa.id}`);
          }
        }
      }
    }
  }
}
