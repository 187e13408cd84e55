/**
 * npm run bench:net — PDU against plain data channels, head to head on the same emulated link
 * (src/netem: two namespaces joined by a userspace router), one peer per namespace.
 *
 * Compared: PDU with each recovery policy (pdu-heuristic, pdu-timeout, pdu-model) and plain data
 * channels (dc-reliable-ordered, dc-reliable-unordered, dc-mr1, dc-mr0). Stacks: werift-werift,
 * chromium-chromium, chromium-werift (sender in namespace a, receiver in b). Scenarios, all at
 * 25 ms each way (RTT 50 ms): bern0/1/5/10, ge-wifi_lossy, the Starlink LENS trace (its own
 * delays), and a 10 Mbit/s bottleneck with a competing TCP bulk flow. Messages of 1 KiB at 50/s,
 * 16 KiB at 5/s and 256 KiB at 0.25/s (all below capacity), 16 KiB at 20/s (above it at 5% loss,
 * PDU with a 1 s deadline), and 16 KiB at 40/s on the bottleneck (5.2 Mbit/s: half of it alone,
 * more than its share once the bulk flow runs). Channels open on a clean link; the scenario
 * applies after.
 *
 * Per row: p50/p95/p99 latency (send() to arrival, host clock), goodput, delivered fraction, wire
 * bytes per payload byte (the router's UDP byte counters, both directions, over payload
 * delivered), plus the recovery counters, expiries and queue bounds. The last line is
 * {"bench":"net","rows":[...]} (CONTRACTS.md). Also prints the over-time table of the congestion
 * row, and writes everything to test-results/bench-net.json.
 *
 * Usage (inside the project's namespace wrapper; the npm script does it):
 *   npm run bench:net                      default matrix (every row an aim refers to, < 20 min)
 *   npm run bench:net -- --full            everything: 432 rows, about 4 hours
 *   npm run bench:net -- --list            print the planned rows and exit
 *   npm run bench:net -- --only <regex>    rows whose "stack scenario transport msg_bytes@rate" matches
 *   npm run bench:net -- --stacks werift-werift,chromium-chromium
 *   npm run bench:net -- --high-water <bytes>   PDU's bound on the channel queue below it
 *   npm run bench:net -- --quick           a third of the messages per row (smoke runs, not figures)
 *   npm run bench:net -- --trace <dir>     both PDU engines' traces per row, as JSON Lines in <dir>
 *   npm run bench:net -- --datagram <bytes>   PDU's datagram size (maxDatagramSize)
 *   npm run bench:net -- --stripes <n>     PDU rows over n peer connections, the extra ones made like
 *                                          the first and negotiated by PDU over it (options.stripes)
 *   npm run bench:net -- --packet-threshold <n>   PDU's starting recovery.packetThreshold (default 3)
 *   npm run bench:net -- --duplicate-retransmissions   PDU sends every retransmission twice
 *   npm run bench:net -- --duplicate-auto  PDU's recovery.duplicateRetransmissions 'auto' (striped: the default)
 *   npm run bench:net -- --duplicate-off   PDU never sends a retransmission twice (one connection: the default)
 *   npm run bench:net -- --no-lane-loss    PDU without loss detection per stripe (recovery.laneLossDetection)
 *   npm run bench:net -- --ack-every <n>   PDU acknowledges at least every n packets (ack.ackEveryPackets, default 8)
 *   npm run bench:net -- --ooo-ack-delay <f>   PDU's delay of an out-of-order ACK, fraction of srtt (default 1/16)
 *   npm run bench:net -- --asked-ack-delay <f> PDU's delay of an ACK the sender asked for, fraction of srtt (default 1/32)
 *   npm run bench:net -- --seconds <s>     every row's length in seconds (overrides the matrix's)
 *   npm run bench:net -- --out <file>      where the JSON goes (default test-results/bench-net.json)
 *   npm run bench:net -- --aim-seconds <s>    length of the below-capacity aim rows (default 30: 150
 *                                             messages; 75 gives the 375 a p99 needs for a bounded interval)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import type { RetransmissionStats } from '../src/engine/index.js';
import { NetemTopology, netemUnavailableReason } from '../src/netem/index.js';
import { findTracesDir, loadPacketTrace } from '../src/transport/trace-files.node.js';
import { summarizePacketTrace } from '../src/transport/traces.js';
import {
  STACKS,
  StackPair,
  figures,
  measureCapacity,
  runRow,
  timeline,
  type Figures,
  type RowPlan,
  type RowResult,
  type Scenario,
  type Stack,
  type TimelinePoint,
} from './net/harness.js';
import { TRANSPORTS, isPdu, type AckOverrides, type Transport } from './net/protocol.js';

const args = process.argv.slice(2);
const flag = (name: string) => args.includes(name);
const option = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const full = flag('--full');
/** Smoke runs: a third of each row's messages (at least 4). Not for figures. */
const quick = flag('--quick');
const only = option('--only') ? new RegExp(option('--only')!) : undefined;
const stackFilter = option('--stacks')?.split(',') as Stack[] | undefined;
const highWater = option('--high-water') !== undefined ? Number(option('--high-water')) : undefined;
const traceDir = option('--trace');
const datagramSize = option('--datagram') !== undefined ? Number(option('--datagram')) : undefined;
const stripes = option('--stripes') !== undefined ? Number(option('--stripes')) : undefined;
const packetThreshold = option('--packet-threshold') !== undefined ? Number(option('--packet-threshold')) : undefined;
// Unset: PDU's own default (PduChannel: 'auto' when striped, else off).
const duplicateRetransmissions: boolean | 'auto' | undefined = flag('--duplicate-auto')
  ? 'auto'
  : flag('--duplicate-retransmissions')
    ? true
    : flag('--duplicate-off')
      ? false
      : undefined;
const noLaneLoss = flag('--no-lane-loss');
const ackEvery = option('--ack-every') !== undefined ? Number(option('--ack-every')) : undefined;
const oooAckDelay = option('--ooo-ack-delay') !== undefined ? Number(option('--ooo-ack-delay')) : undefined;
const askedAckDelay = option('--asked-ack-delay') !== undefined ? Number(option('--asked-ack-delay')) : undefined;
const ackOverrides =
  ackEvery !== undefined || oooAckDelay !== undefined || askedAckDelay !== undefined
    ? {
        ...(ackEvery !== undefined ? { ackEveryPackets: ackEvery } : {}),
        ...(oooAckDelay !== undefined ? { outOfOrderAckDelayRtt: oooAckDelay } : {}),
        ...(askedAckDelay !== undefined ? { askedAckDelayRtt: askedAckDelay } : {}),
      }
    : undefined;
const outFile = option('--out') ?? 'test-results/bench-net.json';
/** Every planned row's length in seconds, overriding the matrix's (e.g. 30 for 150 messages at 5/s). */
const rowSeconds = option('--seconds') !== undefined ? Number(option('--seconds')) : undefined;
const aimSeconds = option('--aim-seconds') !== undefined ? Number(option('--aim-seconds')) : 30;

// ---- scenarios ----------------------------------------------------------------------------

function starlink(): Scenario | undefined {
  const dir = findTracesDir();
  if (!dir) return undefined;
  const summary = summarizePacketTrace(loadPacketTrace('starlink_lens', dir));
  return {
    name: 'trace-starlink_lens-rtt*',
    spec: { loss: 'trace:starlink_lens' },
    loss: summary.lossRate,
    rttMs: Math.round(summary.delayMs.mean * 2 * 10) / 10,
  };
}

const S: Record<string, Scenario> = {
  bern0: { name: 'bern0-rtt50', spec: { loss: 'none' }, loss: 0, rttMs: 50 },
  bern1: { name: 'bern1-rtt50', spec: { loss: 'bern:0.01' }, loss: 0.01, rttMs: 50 },
  bern5: { name: 'bern5-rtt50', spec: { loss: 'bern:0.05' }, loss: 0.05, rttMs: 50 },
  bern10: { name: 'bern10-rtt50', spec: { loss: 'bern:0.1' }, loss: 0.1, rttMs: 50 },
  ge: { name: 'ge-wifi_lossy-rtt50', spec: { loss: 'ge:wifi_lossy' }, loss: 2 / 42, rttMs: 50 },
  cap10: {
    name: 'cap10-bulk-rtt50',
    spec: { loss: 'none', rateBitsPerSecond: 10e6, queueLimitBytes: 256 * 1024 },
    loss: 0,
    rttMs: 50,
    capacityMbitS: 10,
    bulk: { startS: 10, stopS: 20 },
  },
};
const STARLINK = starlink();
if (STARLINK) S.starlink = STARLINK;
else console.error('bench:net: traces folder not found (../shared/traces or $PDU_TRACES_DIR); the Starlink rows are skipped');

// ---- the matrix ---------------------------------------------------------------------------

/** Below capacity: each size at a rate that keeps the offered load near 0.5 Mbit/s. */
const LOADS = {
  '1k': { msgBytes: 1024, rateHz: 50 },
  '16k': { msgBytes: 16 * 1024, rateHz: 5 },
  '256k': { msgBytes: 256 * 1024, rateHz: 0.25 },
  /** Above capacity at 5% loss (SCTP's loss-limited rate is near 1 Mbit/s there). */
  '16k-over': { msgBytes: 16 * 1024, rateHz: 20 },
  /** On the 10 Mbit/s bottleneck: half of it alone, more than its share once the bulk flow starts. */
  '16k-cap': { msgBytes: 16 * 1024, rateHz: 40 },
} as const;

type Group = 'below' | 'above' | 'congestion' | 'sweep';
interface Planned extends RowPlan {
  stack: Stack;
  group: Group;
}

function plan(stack: Stack, scenario: Scenario | undefined, transport: Transport, load: keyof typeof LOADS, seconds: number, group: Group): Planned[] {
  if (!scenario) return [];
  if (rowSeconds !== undefined) seconds = rowSeconds;
  const { msgBytes, rateHz } = LOADS[load];
  const over = load === '16k-over';
  return [
    {
      stack,
      group,
      scenario,
      transport,
      msgBytes,
      rateHz,
      count: Math.max(4, Math.round((quick ? seconds / 3 : seconds) * rateHz)),
      // Above capacity the application says how late is too late; the plain channel cannot.
      ...(over && isPdu(transport) ? { deadlineMs: 1000 } : {}),
      drainMs: over ? 20_000 : scenario.bulk ? 15_000 : 30_000,
      sampleMs: scenario.bulk ? 500 : 250,
    },
  ];
}

/** PDU with its default recovery policy, and the channel the aims compare it with. */
const AIM_PAIR: Transport[] = ['pdu-timeout', 'dc-reliable-ordered'];

function defaultMatrix(): Planned[] {
  const rows: Planned[] = [];
  // The below-capacity aim: 16 KiB at 5/s, 5% loss, 150 messages by default (the reference's count).
  for (const stack of ['werift-werift', 'chromium-chromium'] as const) {
    for (const t of TRANSPORTS) {
      // werift's own maxRetransmits 0 never gives up a message of several chunks (ENVIRONMENT.md):
      // that row would only show werift stalling. Chromium's is the floor of what the link allows.
      if (t === 'dc-mr0' && stack === 'werift-werift') continue;
      rows.push(...plan(stack, S.bern5, t, '16k', AIM_PAIR.includes(t) ? aimSeconds : 20, 'below'));
    }
  }
  for (const t of AIM_PAIR) rows.push(...plan('chromium-werift', S.bern5, t, '16k', aimSeconds, 'below'));
  // The above-capacity aim: 16 KiB at 20/s, 5% loss.
  for (const stack of ['werift-werift', 'chromium-chromium'] as const) {
    for (const t of AIM_PAIR) rows.push(...plan(stack, S.bern5, t, '16k-over', 15, 'above'));
  }
  // Congestion adaptation on the 10 Mbit/s bottleneck, bulk flow from 10 s to 20 s: at a quarter
  // of the bottleneck (room left beside the bulk flow), and at half of it (more than its share).
  for (const load of ['16k-over', '16k-cap'] as const) {
    for (const t of AIM_PAIR) rows.push(...plan('werift-werift', S.cap10, t, load, 30, 'congestion'));
  }
  // Every other scenario and size, once, on werift.
  for (const key of ['bern0', 'bern1', 'bern10', 'ge', 'starlink'] as const) {
    for (const t of AIM_PAIR) rows.push(...plan('werift-werift', S[key], t, '16k', 10, 'sweep'));
  }
  for (const t of AIM_PAIR) rows.push(...plan('werift-werift', S.bern5, t, '1k', 10, 'sweep'));
  for (const t of AIM_PAIR) rows.push(...plan('werift-werift', S.bern5, t, '256k', 24, 'sweep'));
  return rows;
}

function fullMatrix(): Planned[] {
  const rows: Planned[] = [];
  for (const stack of STACKS) {
    for (const key of ['bern0', 'bern1', 'bern5', 'bern10', 'ge', 'starlink', 'cap10'] as const) {
      for (const t of TRANSPORTS) {
        rows.push(...plan(stack, S[key], t, '1k', 20, key === 'cap10' ? 'congestion' : 'sweep'));
        rows.push(...plan(stack, S[key], t, '16k', key === 'bern5' ? 30 : 20, key === 'bern5' ? 'below' : key === 'cap10' ? 'congestion' : 'sweep'));
        rows.push(...plan(stack, S[key], t, '256k', 40, key === 'cap10' ? 'congestion' : 'sweep'));
      }
    }
    for (const t of TRANSPORTS) rows.push(...plan(stack, S.bern5, t, '16k-over', 15, 'above'));
    for (const load of ['16k-over', '16k-cap'] as const) {
      for (const t of TRANSPORTS) rows.push(...plan(stack, S.cap10, t, load, 30, 'congestion'));
    }
  }
  return rows;
}

const label = (p: Planned) => `${p.stack} ${p.scenario.name} ${p.transport} ${p.msgBytes}@${p.rateHz}`;

// ---- run ----------------------------------------------------------------------------------

interface JsonRow extends Omit<Figures, 'sent'> {
  stack: Stack;
  scenario: string;
  transport: Transport;
  group: Group;
  msg_bytes: number;
  messages: number;
  rate_hz: number;
  offered_mbit_s: number;
  loss: number;
  rtt_ms: number;
  capacity_mbit_s?: number;
  deadline_ms?: number;
  predictor?: string;
  /** PDU over several peer connections (--stripes): how many, and the SCTP DATA chunks each sent (werift only). */
  stripes?: number;
  stripe_sctp_chunks?: number[];
  /** PDU sent every retransmission twice (--duplicate-retransmissions). */
  duplicate_retransmissions?: boolean | 'auto';
  /** PDU ran without loss detection per stripe (--no-lane-loss). */
  lane_loss_detection?: boolean;
  /** PDU's ACK schedule overrides (--ack-every, --ooo-ack-delay, --asked-ack-delay). */
  ack?: AckOverrides;
  /** Peer connection(s) and channel set up, handshake included (the slower side), ms. */
  connect_ms?: number;
  /** PDU's retransmission counters in full (the sender's EngineStats). */
  retx?: RetransmissionStats & { nacks_received: number; untrusted_lanes: number; messages_duplicating: number };
}

async function main(): Promise<void> {
  const planned = (full ? fullMatrix() : defaultMatrix()).filter((p) => (!only || only.test(label(p))) && (!stackFilter || stackFilter.includes(p.stack)));
  if (flag('--list')) {
    for (const p of planned) console.log(label(p));
    console.log(`${planned.length} rows`);
    return;
  }
  const unavailable = netemUnavailableReason();
  if (unavailable) {
    console.error(`bench:net: ${unavailable}`);
    process.exit(2);
  }
  const began = Date.now();
  console.log(`bench:net: ${planned.length} rows${full ? ' (--full)' : ''}; ${cpus().length} cores`);
  const rows: JsonRow[] = [];
  const timelines: Array<{ label: string; points: TimelinePoint[] }> = [];
  const versions: Record<string, string> = {};
  const capacity = new Map<string, number>();

  for (const stack of STACKS) {
    const mine = planned.filter((p) => p.stack === stack);
    if (mine.length === 0) continue;
    await NetemTopology.with({ seed: 1 }, async (net) => {
      const pair = await StackPair.open(net, stack);
      pair.highWaterBytes = highWater;
      if (traceDir) pair.traceEvents = 200_000;
      pair.maxDatagramSize = datagramSize;
      pair.stripes = stripes;
      pair.packetThreshold = packetThreshold;
      pair.duplicateRetransmissions = duplicateRetransmissions;
      if (noLaneLoss) pair.laneLossDetection = false;
      pair.ack = ackOverrides;
      versions[stack] = `${pair.versions.a} -> ${pair.versions.b}`;
      console.log(`\n== ${stack} (${versions[stack]}) ==`);
      try {
        // Capacity of the lossy scenarios the aims use, as a careful plain-channel user gets it.
        if (mine.some((p) => p.scenario.name === S.bern5!.name)) {
          const cap = await measureCapacity(pair, S.bern5!, 10_000).catch((err: Error) => {
            console.log(`  capacity probe failed: ${err.message.split('\n')[0]}`);
            return undefined;
          });
          if (cap) {
            capacity.set(`${stack} ${S.bern5!.name}`, cap.mbitS);
            console.log(`  capacity of ${S.bern5!.name} (reliable ordered channel kept busy, 10 s): ${cap.mbitS.toFixed(2)} Mbit/s`);
          }
        }
        for (const p of mine) {
          let result: RowResult;
          try {
            result = await runRow(pair, p);
          } catch (err) {
            console.log(`  ${label(p)}: FAILED ${(err as Error).message.split('\n')[0]}`);
            continue;
          }
          const f = figures(result);
          const { sent, ...rest } = f;
          const cap = p.scenario.capacityMbitS ?? capacity.get(`${stack} ${p.scenario.name}`);
          const row: JsonRow = {
            stack,
            scenario: p.scenario.name,
            transport: p.transport,
            group: p.group,
            msg_bytes: p.msgBytes,
            messages: sent,
            rate_hz: p.rateHz,
            offered_mbit_s: round((p.msgBytes * 8 * p.rateHz) / 1e6, 3),
            loss: round(p.scenario.loss, 4),
            rtt_ms: p.scenario.rttMs,
            ...(cap !== undefined ? { capacity_mbit_s: round(cap, 2) } : {}),
            ...(p.deadlineMs !== undefined ? { deadline_ms: p.deadlineMs } : {}),
            connect_ms: Math.round(Math.max(result.connect[0].connectMs, result.connect[1].connectMs)),
            ...(stripes !== undefined && stripes > 1 && isPdu(p.transport) ? { stripes } : {}),
            ...(duplicateRetransmissions !== undefined && isPdu(p.transport) ? { duplicate_retransmissions: duplicateRetransmissions } : {}),
            ...(noLaneLoss && isPdu(p.transport) ? { lane_loss_detection: false } : {}),
            ...(ackOverrides && isPdu(p.transport) ? { ack: ackOverrides } : {}),
            ...(result.sender.stripeChunks ? { stripe_sctp_chunks: result.sender.stripeChunks } : {}),
            ...(result.sender.stats
              ? {
                  retx: {
                    ...result.sender.stats.retransmissions,
                    nacks_received: result.sender.stats.nacksReceived,
                    untrusted_lanes: result.sender.stats.untrustedLanes,
                    messages_duplicating: result.sender.stats.sharding.messagesDuplicatingResends,
                  },
                }
              : {}),
            ...(result.sender.stats ? { predictor: result.sender.stats.predictor + (result.sender.stats.predictorFallback ? ' (fallback)' : '') } : {}),
            ...rest,
          };
          rows.push(row);
          if (traceDir && result.traces) {
            mkdirSync(traceDir, { recursive: true });
            const file = label(p).replace(/[^\w.@-]+/g, '_');
            writeFileSync(`${traceDir}/${file}.sender.jsonl`, result.traces.sender);
            writeFileSync(`${traceDir}/${file}.receiver.jsonl`, result.traces.receiver);
          }
          console.log(`  ${describe(row)}  [${(result.elapsedMs / 1000).toFixed(0)} s]`);
          if (p.group === 'congestion') timelines.push({ label: label(p), points: timeline(result) });
        }
      } finally {
        await pair.close();
      }
    });
  }

  const seconds = Math.round((Date.now() - began) / 1000);
  for (const t of timelines) {
    console.log(`\nOver time: ${t.label} (bulk TCP flow ${S.cap10!.bulk!.startS}-${S.cap10!.bulk!.stopS} s)`);
    console.log(timelineTable(t.points));
  }
  console.log(`\n${table(rows)}`);
  console.log(`\nbench:net: ${rows.length} rows in ${seconds} s`);
  const machine = `${cpus().length} x ${cpus()[0]?.model.trim() ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, JSON.stringify({ bench: 'net', date: new Date().toISOString(), machine, versions, seconds, rows, timelines }, null, 1));
  console.log(JSON.stringify({ bench: 'net', date: new Date().toISOString(), machine, seconds, rows }));
}

const round = (x: number, digits = 2) => Math.round(x * 10 ** digits) / 10 ** digits;

function describe(r: JsonRow): string {
  const extra = [
    r.expired ? `expired ${r.expired}${r.expired_delivered ? ` (${r.expired_delivered} of them delivered late)` : ''}` : '',
    r.unaccounted ? `unaccounted ${r.unaccounted}` : '',
    r.in_flight_at_end ? `still in flight at the end ${r.in_flight_at_end}` : '',
    r.retx_predictive !== null ? `retx nack ${r.retx_predictive} / timer ${r.retx_timeout}` : '',
    r.sctp_retransmitted !== null ? `sctp retx ${r.sctp_retransmitted}` : '',
    r.retx ? `spurious ${r.retx.spurious}, threshold ${r.retx.threshold}, pto ${r.retx.pto}, nacks ${r.retx.nacks_received}` : '',
    r.stripe_sctp_chunks ? `stripes ${r.stripe_sctp_chunks.join('/')}` : '',
    `queue ${Math.round(r.max_queue_bytes / 1024)} KiB`,
  ]
    .filter(Boolean)
    .join(', ');
  return `${r.scenario} ${r.transport.padEnd(21)} ${String(r.msg_bytes).padStart(6)} B @${r.rate_hz}/s: delivered ${r.delivered_count}/${r.messages}, p50 ${r.p50_ms} p95 ${r.p95_ms} p99 ${r.p99_ms} ms (95% CI ${r.p99_ci_ms ? `${r.p99_ci_ms[0]}-${r.p99_ci_ms[1] ?? 'unbounded'}` : '-'}), ${r.goodput_mb_s} MB/s, wire/payload ${r.wire_per_payload} (${extra})`;
}

function table(rows: JsonRow[]): string {
  const head = '| stack | scenario | transport | msg | rate/s | delivered | p50 ms | p95 ms | p99 ms | goodput MB/s | wire/payload | expired | max queue KiB |';
  const sep = '|' + ' --- |'.repeat(13);
  const lines = rows.map(
    (r) =>
      `| ${r.stack} | ${r.scenario} | ${r.transport} | ${r.msg_bytes >= 1024 ? `${r.msg_bytes / 1024} KiB` : `${r.msg_bytes} B`} | ${r.rate_hz} | ${r.delivered_count}/${r.messages} | ${r.p50_ms} | ${r.p95_ms} | ${r.p99_ms} | ${r.goodput_mb_s} | ${r.wire_per_payload} | ${r.expired} | ${Math.round(r.max_queue_bytes / 1024)} |`,
  );
  return [head, sep, ...lines].join('\n');
}

function timelineTable(points: TimelinePoint[]): string {
  const head = '| t s | bulk | severity | bw est Mbit/s | pacing Mbit/s | fragment B | sharded msgs | channel queue KiB | router queue KiB | drops PDU/TCP | TCP Mbit/s | p95 ms |';
  const sep = '|' + ' --- |'.repeat(12);
  const v = (x: number | boolean | null) => (x === null ? '-' : String(x));
  const lines = points.map(
    (p) =>
      `| ${p.t_s} | ${p.bulk ? 'on' : ''} | ${v(p.severity)} | ${v(p.bandwidth_mbit_s)} | ${v(p.pacing_mbit_s)} | ${v(p.fragment_size)}${p.sharded ? '*' : ''} | ${v(p.messages_sharded)} | ${Math.round(p.channel_queue_bytes / 1024)} | ${Math.round(p.router_queue_bytes / 1024)} | ${p.udp_drops}/${p.tcp_drops} | ${p.tcp_mbit_s} | ${v(p.p95_ms)} |`,
  );
  return [head, sep, ...lines].join('\n');
}

await main();
