/**
 * Impairment for one direction of the real-network router, as plain JSON: it crosses a process
 * boundary (the router's control pipe), and every direction needs its own loss-model instance
 * (Gilbert-Elliott and trace replay keep state), so models travel as spec strings and are built
 * where they are used.
 */
import type { LinkConfig } from '../transport/link.js';
import { parseLossSpec } from '../transport/loss-models.js';
import { findTracesDir, loadCapacityTrace, packetTraceResolver } from '../transport/trace-files.node.js';

export interface LinkSpec {
  /** parseLossSpec grammar: `none`, `bern:0.05`, `ge:wifi_lossy`, `ge:18/2`, `trace:starlink_lens`. */
  loss?: string;
  delayMs?: number;
  jitterMs?: number;
  reorder?: boolean;
  duplicateProbability?: number;
  /** Bottleneck rate; null removes the cap. */
  rateBitsPerSecond?: number | null;
  /** Capacity trace path inside the traces folder (e.g. `mahimahi-cellular/TMobile-LTE-short.up`); null stops replay. */
  capacity?: string | null;
  queueLimitBytes?: number;
}

/** Turns a spec into the fields of a LinkConfig it sets; throws a RangeError naming a bad field. */
export function linkConfigFromSpec(spec: LinkSpec, tracesDir = findTracesDir()): Partial<LinkConfig> {
  const config: Partial<LinkConfig> = {};
  const needTraces = (what: string): string => {
    if (!tracesDir) throw new RangeError(`${what} needs the traces folder (../shared/traces or $PDU_TRACES_DIR), which is missing`);
    return tracesDir;
  };
  if (spec.loss !== undefined) {
    config.loss = parseLossSpec(spec.loss, { resolveTrace: (name) => packetTraceResolver(needTraces(`trace:${name}`))(name) });
  }
  if (spec.delayMs !== undefined) config.delayMs = spec.delayMs;
  if (spec.jitterMs !== undefined) config.jitterMs = spec.jitterMs;
  if (spec.reorder !== undefined) config.reorder = spec.reorder;
  if (spec.duplicateProbability !== undefined) config.duplicateProbability = spec.duplicateProbability;
  if (spec.rateBitsPerSecond !== undefined) config.rateBitsPerSecond = spec.rateBitsPerSecond ?? undefined;
  if (spec.capacity !== undefined) config.capacity = spec.capacity === null ? undefined : loadCapacityTrace(spec.capacity, needTraces(spec.capacity));
  if (spec.queueLimitBytes !== undefined) config.queueLimitBytes = spec.queueLimitBytes;
  return config;
}
