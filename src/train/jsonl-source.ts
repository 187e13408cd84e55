/**
 * Labelled decisions from an engine's own trace (TraceRecorder JSON Lines, `trace.maxEvents` > 0),
 * e.g. recorded on a real connection. Each `nacked` record carries the features the predictor
 * saw when a packet was first requested; the label is whether that packet arrived after all
 * (a later `received`/`duplicate`/`refused`/`invalid` record with its number, same side).
 *
 * Weaker than a replay: only moments when the running policy did ask are recorded, and a
 * receiver's trace cannot tell a lost packet from a CONTROL packet that arrived (those are not
 * traced), nor follow a resent copy. Hence first requests of DATA gaps only.
 */
import type { GapFeatures } from '../predict/loss-predictor.js';
import type { TraceRecord } from '../engine/trace-recorder.js';
import type { LabelledDecision } from './labels.js';

const ARRIVAL_EVENTS = new Set(['received', 'duplicate', 'refused', 'invalid', 'late']);
const NUMERIC_FEATURES: (keyof GapFeatures)[] = [
  'gapAgeMs',
  'successors',
  'runLength',
  'sinceLastArrivalMs',
  'interArrivalMs',
  'interArrivalJitterMs',
  'srttMs',
  'rttVarMs',
  'minRttMs',
  'recentLossRate',
  'reorderRate',
  'reorderDelayMs',
  'requestsSoFar',
  'sinceLastRequestMs',
  'severity',
];

export interface JsonlStats {
  records: number;
  /** Lines that are not trace records, and `nacked` records without usable features. */
  skipped: number;
}

export function decisionsFromTraceJsonl(text: string): { rows: LabelledDecision[]; stats: JsonlStats } {
  const records: TraceRecord[] = [];
  const stats: JsonlStats = { records: 0, skipped: 0 };
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const r = JSON.parse(line) as TraceRecord;
      if (typeof r.t === 'number' && typeof r.event === 'string') records.push(r);
      else stats.skipped++;
    } catch {
      stats.skipped++;
    }
  }
  stats.records = records.length;
  const arrivals = new Map<string, number>();
  for (const r of records) {
    if (ARRIVAL_EVENTS.has(r.event) && r.pn !== undefined && !arrivals.has(`${r.side}:${r.pn}`)) arrivals.set(`${r.side}:${r.pn}`, r.t);
  }
  const lastT = records.reduce((m, r) => Math.max(m, r.t), 0);
  const rows: LabelledDecision[] = [];
  for (const r of records) {
    if (r.event !== 'nacked' || r.pn === undefined) continue;
    const features = toFeatures(r.features);
    if (!features) {
      stats.skipped++;
      continue;
    }
    // Gaps near the end of the trace may still have been on their way: their fate is unknown.
    if (features.requestsSoFar !== 0 || features.tail || r.t > lastT - 4 * features.srttMs) continue;
    rows.push({ t: r.t, features, lost: arrivals.has(`${r.side}:${r.pn}`) ? 0 : 1, waitMs: 0 });
  }
  return { rows, stats };
}

const OPTIONAL_FEATURES: (keyof GapFeatures)[] = ['tailPauseMs'];

function toFeatures(raw: TraceRecord['features']): GapFeatures | undefined {
  if (!raw || typeof raw['tail'] !== 'boolean') return undefined;
  const out = { tail: raw['tail'] } as GapFeatures;
  for (const key of NUMERIC_FEATURES) {
    const v = raw[key];
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
    (out as unknown as Record<string, number>)[key] = v;
  }
  // Added after the first traces were recorded: absent reads as 0 (nothing known).
  for (const key of OPTIONAL_FEATURES) {
    const v = raw[key];
    (out as unknown as Record<string, number>)[key] = typeof v === 'number' && Number.isFinite(v) ? v : 0;
  }
  return out;
}
