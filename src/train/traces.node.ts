/** The shared traces folder as a TraceLibrary (Node only; a browser fetches the files instead). */
import type { CapacitySchedule } from '../transport/capacity.js';
import { findTracesDir, loadCapacityTrace, packetTraceResolver } from '../transport/trace-files.node.js';
import type { TraceLibrary } from './scenarios.js';

/** Undefined when the folder is absent (a user's clone has no ../shared). */
export function nodeTraceLibrary(explicitDir?: string): TraceLibrary | undefined {
  const dir = findTracesDir(explicitDir);
  if (dir === undefined) return undefined;
  const capacities = new Map<string, CapacitySchedule>();
  return {
    packet: packetTraceResolver(dir),
    capacity(path) {
      let schedule = capacities.get(path);
      if (!schedule) {
        schedule = loadCapacityTrace(path, dir);
        capacities.set(path, schedule);
      }
      return schedule;
    },
  };
}
