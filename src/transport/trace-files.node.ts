/**
 * Node-only access to the shared public traces (never copied into this repository: several have
 * no license or a GPL / CC BY-SA one). Everything else in src/transport stays free of `node:`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CapacitySchedule } from './capacity.js';
import { parseIrtt, parseMahimahi, parsePingLog, parseThroughputLog, type PacketTrace } from './traces.js';

/** Names accepted by `trace:<name>` loss specs. */
export const PACKET_TRACE_NAMES = ['starlink_lens', 'starlink_irtt_up', 'starlink_irtt_down'] as const;
export type PacketTraceName = (typeof PACKET_TRACE_NAMES)[number];

/**
 * The traces folder: `explicit` if given, else $PDU_TRACES_DIR, else ../shared/traces beside the
 * repository root (found from this file's location, not the working directory).
 * Undefined when that folder does not exist, e.g. in a user's clone.
 */
export function findTracesDir(explicit?: string): string | undefined {
  const candidate = explicit ?? process.env['PDU_TRACES_DIR'] ?? defaultTracesDir();
  return candidate !== undefined && existsSync(candidate) && statSync(candidate).isDirectory() ? resolve(candidate) : undefined;
}

export function loadPacketTrace(name: string, dir: string): PacketTrace {
  switch (name as PacketTraceName) {
    case 'starlink_lens':
      return parsePingLog(read(dir, 'starlink-ping-10ms-lens/ping-example-isl.txt'), name);
    case 'starlink_irtt_up':
    case 'starlink_irtt_down': {
      const way = name === 'starlink_irtt_up' ? 'uplink' : 'downlink';
      const folder = 'starlink-irtt-owd-loss';
      return parseIrtt(read(dir, `${folder}/LEO_${way}_delay-000001-12h.txt`), read(dir, `${folder}/LEO_${way}_loss-000001-12h.txt`), name);
    }
    default:
      throw new RangeError(`unknown packet trace ${JSON.stringify(name)} (known: ${PACKET_TRACE_NAMES.join(', ')})`);
  }
}

/** A resolver for parseLossSpec's `trace:<name>`. */
export function packetTraceResolver(dir: string): (name: string) => PacketTrace {
  const cache = new Map<string, PacketTrace>();
  return (name) => {
    let trace = cache.get(name);
    if (!trace) {
      trace = loadPacketTrace(name, dir);
      cache.set(name, trace);
    }
    return trace;
  };
}

/**
 * A capacity trace by its path inside the traces folder, e.g. `mahimahi-cellular/TMobile-LTE-short.up`
 * or `pensieve-norway3g-fcc/cooked_test_traces/norway_bus_1`; the folder decides the format.
 */
export function loadCapacityTrace(relativePath: string, dir: string): CapacitySchedule {
  const text = read(dir, relativePath);
  if (relativePath.startsWith('mahimahi-cellular/')) return parseMahimahi(text, relativePath);
  if (relativePath.startsWith('pensieve-norway3g-fcc/')) return parseThroughputLog(text, relativePath);
  throw new RangeError(`no capacity format known for ${relativePath} (expected mahimahi-cellular/... or pensieve-norway3g-fcc/...)`);
}

function read(dir: string, relativePath: string): string {
  return readFileSync(join(dir, relativePath), 'utf8');
}

/** ../shared/traces next to the nearest ancestor of this file that holds a package.json. */
function defaultTracesDir(): string | undefined {
  let at = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(at, 'package.json'))) return join(at, '..', 'shared', 'traces');
    const up = dirname(at);
    if (up === at) return undefined;
    at = up;
  }
}
