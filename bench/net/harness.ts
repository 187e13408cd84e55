/**
 * bench:net's orchestration, shared by bench/net.ts and the CI subset (tests/net/pdu-*.test.ts):
 * agents in the emulator's namespaces, one row at a time (connect on a clean link, impair, send at
 * the offered rate, drain, read the router's counters), and the row's figures.
 */
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { NETEM_ADDRESS, NetemTopology, type LinkSpec, type RouterCounters } from '../../src/netem/index.js';
import { percentile } from '../../src/transport/traces.js';
import { quantileInterval } from '../stats.js';
import {
  isPdu,
  type AckOverrides,
  type AgentCommand,
  type AgentResponse,
  type ConnectResult,
  type ReceivedReport,
  type SendResult,
  type SenderReport,
  type SenderSample,
  type Transport,
} from './protocol.js';

export type Stack = 'werift-werift' | 'chromium-chromium' | 'chromium-werift';
export const STACKS: readonly Stack[] = ['werift-werift', 'chromium-chromium', 'chromium-werift'];

const here = (file: string) => fileURLToPath(new URL(file, import.meta.url));
const AGENT = { werift: here('./werift-agent.ts'), chromium: here('./chromium-agent.ts') };
const BULK = here('./bulk.ts');

/** The link while peers connect: the scenario's propagation delay, nothing else (impair after open). */
export const CLEAN: LinkSpec = { loss: 'none', delayMs: 25, jitterMs: 0, rateBitsPerSecond: null, capacity: null, queueLimitBytes: 256 * 1024 };

export interface Scenario {
  name: string;
  /** Applied to both directions once the channels are open. */
  spec: LinkSpec;
  /** Mean loss of the model (fraction), for the row's numeric `loss`. */
  loss: number;
  rttMs: number;
  /** The configured bottleneck, Mbit/s, where there is one. */
  capacityMbitS?: number;
  /** A competing TCP bulk flow a -> b from `startS` to `stopS` after the first send. */
  bulk?: { startS: number; stopS: number };
}

// ---- agents -------------------------------------------------------------------------------

/** One agent process: JSON-line requests and answers (protocol.ts). */
export class Agent {
  readonly logs: string[] = [];
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (r: AgentResponse) => void; reject: (e: Error) => void }>();
  private exited: Error | undefined;
  private stderr = '';
  readonly ready: Promise<string>;
  /** Resolves when the process has exited. */
  private readonly gone: Promise<void>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readyTimeoutMs = 90_000,
  ) {
    let readyResolve!: (stack: string) => void;
    let readyReject!: (err: Error) => void;
    this.ready = new Promise((resolve, reject) => {
      readyResolve = resolve;
      readyReject = reject;
    });
    this.ready.catch(() => undefined);
    const timer = setTimeout(() => readyReject(new Error(`${name}: not ready within ${readyTimeoutMs} ms; stderr:\n${this.stderr.slice(-2000)}`)), readyTimeoutMs);
    child.stdin!.on('error', () => undefined);
    child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-20_000);
      if (process.env.PDU_BENCH_VERBOSE) process.stderr.write(`[${name}] ${d.toString()}`);
    });
    createInterface({ input: child.stdout! }).on('line', (text) => {
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(text) as Record<string, unknown>;
      } catch {
        this.logs.push(text);
        return;
      }
      if ('ready' in line) {
        clearTimeout(timer);
        readyResolve(String(line.stack));
      } else if ('log' in line) {
        this.logs.push(String(line.log));
        if (process.env.PDU_BENCH_VERBOSE) process.stderr.write(`[${name}] ${String(line.log)}\n`);
      } else if (typeof line.id === 'number') {
        this.pending.get(line.id)?.resolve(line as AgentResponse);
        this.pending.delete(line.id);
      }
    });
    this.gone = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      this.exited = new Error(`${name} exited (${signal ?? `code ${code}`}); stderr:\n${this.stderr.slice(-2000)}`);
      readyReject(this.exited);
      for (const p of this.pending.values()) p.reject(this.exited);
      this.pending.clear();
    });
  }

  async request<T>(command: AgentCommand, timeoutMs: number): Promise<T> {
    if (this.exited) throw this.exited;
    const id = this.nextId++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const response = await new Promise<AgentResponse>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${this.name}: ${command.cmd} took longer than ${timeoutMs} ms`));
      }, timeoutMs);
      this.child.stdin!.write(`${JSON.stringify({ ...command, id })}\n`);
    }).finally(() => clearTimeout(timer));
    if (!response.ok) throw new Error(`${this.name}: ${command.cmd}: ${response.error}`);
    return response.result as T;
  }

  /**
   * Ends stdin: the agent closes its peer (and its browser) and exits. Waits for that, at most
   * `waitMs`: a namespace torn down under a browser still closing kills it, and it leaves its
   * profile's lock folder in /tmp.
   */
  async end(waitMs = 10_000): Promise<void> {
    this.child.stdin!.end();
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([this.gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)))]);
    clearTimeout(timer);
  }

  get alive(): boolean {
    return this.exited === undefined;
  }
}

/** The topology and one agent per namespace: a sends, b receives. */
export class StackPair {
  private rooms = 0;
  /** PDU's bound on the channel queue below it (PduChannelOptions.highWaterBytes); the stack adapter's default when unset. */
  highWaterBytes: number | undefined;
  /** Trace events each PDU engine keeps (0: no trace); see RowResult.traces. */
  traceEvents = 0;
  /** PDU's datagram size (PduChannelOptions.maxDatagramSize); the engine's default when unset. */
  maxDatagramSize: number | undefined;
  /** PDU rows only: peer connections PDU's datagrams are striped over (1 or unset: one). */
  stripes: number | undefined;
  /** PDU rows only: recovery.packetThreshold. */
  packetThreshold: number | undefined;
  /** PDU rows only: recovery.duplicateRetransmissions (unset: PDU's default). */
  duplicateRetransmissions: boolean | 'auto' | undefined;
  /** PDU rows only: recovery.laneLossDetection (undefined: the engine's default). */
  laneLossDetection: boolean | undefined;
  /** PDU rows only: ACK schedule overrides. */
  ack: AckOverrides | undefined;

  private constructor(
    readonly stack: Stack,
    readonly net: NetemTopology,
    readonly a: Agent,
    readonly b: Agent,
    readonly signalingUrl: string,
    readonly versions: { a: string; b: string },
  ) {}

  static async open(net: NetemTopology, stack: Stack): Promise<StackPair> {
    await net.router.configure('both', CLEAN);
    const [kindA, kindB] = stack.split('-') as ['werift' | 'chromium', 'werift' | 'chromium'];
    const start = (side: 'a' | 'b', kind: 'werift' | 'chromium') =>
      new Agent(`${kind}@${side}`, net.spawnNode(side, AGENT[kind], kind === 'chromium' ? [side, '5199'] : [side]));
    const a = start('a', kindA);
    const b = start('b', kindB);
    const [versionA, versionB] = await Promise.all([a.ready, b.ready]);
    const { url } = await a.request<{ url: string }>({ cmd: 'serveSignaling', host: NETEM_ADDRESS.a }, 10_000);
    return new StackPair(stack, net, a, b, url, { a: versionA, b: versionB });
  }

  /** Fresh peer connections on both sides with one channel of `transport`; retried once. */
  async connect(transport: Transport): Promise<[ConnectResult, ConnectResult]> {
    for (let attempt = 1; ; attempt++) {
      const room = `r${++this.rooms}`;
      try {
        const options = {
          ...(this.highWaterBytes !== undefined ? { highWaterBytes: this.highWaterBytes } : {}),
          ...(this.traceEvents > 0 ? { traceEvents: this.traceEvents } : {}),
          ...(this.maxDatagramSize !== undefined ? { maxDatagramSize: this.maxDatagramSize } : {}),
          ...(this.stripes !== undefined && this.stripes > 1 && isPdu(transport) ? { stripes: this.stripes } : {}),
          ...(this.packetThreshold !== undefined && isPdu(transport) ? { packetThreshold: this.packetThreshold } : {}),
          ...(this.duplicateRetransmissions !== undefined && isPdu(transport) ? { duplicateRetransmissions: this.duplicateRetransmissions } : {}),
          ...(this.laneLossDetection !== undefined && isPdu(transport) ? { laneLossDetection: this.laneLossDetection } : {}),
          ...(this.ack && isPdu(transport) ? { ack: this.ack } : {}),
        };
        return await Promise.all([
          this.a.request<ConnectResult>({ cmd: 'connect', url: this.signalingUrl, room, transport, ...options }, 40_000),
          this.b.request<ConnectResult>({ cmd: 'connect', url: this.signalingUrl, room, transport, ...options }, 40_000),
        ]);
      } catch (err) {
        await this.disconnect();
        if (attempt >= 2) throw err;
      }
    }
  }

  async disconnect(): Promise<void> {
    await Promise.all([this.a, this.b].map((agent) => agent.request({ cmd: 'close' }, 15_000).catch(() => undefined)));
  }

  async close(): Promise<void> {
    await Promise.all([this.a.end(), this.b.end()]);
  }
}

// ---- one row ------------------------------------------------------------------------------

export interface RowPlan {
  scenario: Scenario;
  transport: Transport;
  msgBytes: number;
  /** Messages per second offered. */
  rateHz: number;
  count: number;
  /** PDU only: per-message deadline. */
  deadlineMs?: number;
  /** How long to wait after the last send for arrivals (the row's time bound). */
  drainMs: number;
  /** Sender and router samples, ms (for the over-time table). */
  sampleMs?: number;
}

export interface RouterSample {
  t: number;
  queuedBytes: number;
  udpDropped: number;
  tcpDropped: number;
  udpLost: number;
  udpOfferedBytes: number;
  tcpOfferedBytes: number;
}

export interface RowResult {
  plan: RowPlan;
  connect: [ConnectResult, ConnectResult];
  send: SendResult;
  sender: SenderReport;
  received: ReceivedReport;
  counters: { before: RouterCounters; after: RouterCounters };
  routerSamples: RouterSample[];
  bulkBytes?: number;
  /** Both engines' traces as JSON Lines, when the pair was connected with `traceEvents`. */
  traces?: { sender: string; receiver: string };
  elapsedMs: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Connects, impairs, sends at the offered rate, drains (bounded), and collects everything. */
export async function runRow(pair: StackPair, plan: RowPlan): Promise<RowResult> {
  const started = Date.now();
  const { net } = pair;
  await net.router.configure('both', CLEAN);
  const connect = await pair.connect(plan.transport);
  try {
    await net.router.configure('both', { ...CLEAN, ...plan.scenario.spec });
    const before = await net.router.counters();
    const intervalMs = 1000 / plan.rateHz;
    const sampleMs = plan.sampleMs ?? 250;

    // Router samples for the over-time table.
    const routerSamples: RouterSample[] = [];
    let sampling = true;
    const routerSampler = (async () => {
      while (sampling) {
        const c = await net.router.counters().catch(() => undefined);
        if (c) {
          routerSamples.push({
            t: Date.now(),
            queuedBytes: c.aToB.queuedBytes,
            udpDropped: c.aToB.byProtocol.udp.droppedPackets,
            tcpDropped: c.aToB.byProtocol.tcp.droppedPackets,
            udpLost: c.aToB.byProtocol.udp.lostPackets,
            udpOfferedBytes: c.aToB.byProtocol.udp.offeredBytes,
            tcpOfferedBytes: c.aToB.byProtocol.tcp.offeredBytes,
          });
        }
        await sleep(sampleMs);
      }
    })();

    const bulk = plan.scenario.bulk ? startBulk(net, plan.scenario.bulk) : undefined;
    const sendTimeout = plan.count * intervalMs + 120_000;
    const send = await pair.a.request<SendResult>(
      { cmd: 'send', count: plan.count, size: plan.msgBytes, intervalMs, sampleMs, ...(plan.deadlineMs !== undefined ? { deadlineMs: plan.deadlineMs } : {}) },
      sendTimeout,
    );

    // Drain: until everything arrived, nothing arrived for a while, or the bound.
    const drainEnd = Date.now() + plan.drainMs;
    const quietMs = 4000;
    let last = -1;
    let lastChange = Date.now();
    for (;;) {
      const r = await pair.b.request<ReceivedReport>({ cmd: 'received' }, 15_000);
      if (r.count >= send.sent) break;
      if (r.count !== last) {
        last = r.count;
        lastChange = Date.now();
      }
      if (Date.now() >= drainEnd || Date.now() - lastChange >= quietMs) break;
      await sleep(200);
    }
    const sender = await pair.a.request<SenderReport>({ cmd: 'senderReport', waitMs: isPdu(plan.transport) ? 3000 : 0 }, 30_000);
    const received = await pair.b.request<ReceivedReport>({ cmd: 'received', latencies: true }, 15_000);
    const traces =
      pair.traceEvents > 0 && isPdu(plan.transport)
        ? {
            sender: (await pair.a.request<{ jsonl: string }>({ cmd: 'trace' }, 30_000)).jsonl,
            receiver: (await pair.b.request<{ jsonl: string }>({ cmd: 'trace' }, 30_000)).jsonl,
          }
        : undefined;
    const after = await net.router.counters();
    sampling = false;
    await routerSampler;
    const bulkBytes = bulk ? await bulk.stop() : undefined;
    return {
      plan,
      connect,
      send,
      sender,
      received,
      counters: { before, after },
      routerSamples,
      ...(bulkBytes !== undefined ? { bulkBytes } : {}),
      ...(traces ? { traces } : {}),
      elapsedMs: Date.now() - started,
    };
  } finally {
    await pair.disconnect();
    await net.router.configure('both', CLEAN).catch(() => undefined);
  }
}

/** The competing TCP flow: a sink in b, a source in a that starts and stops on schedule. */
function startBulk(net: NetemTopology, when: { startS: number; stopS: number }): { stop(): Promise<number> } {
  const sink = net.spawnNode('b', BULK, ['sink', NETEM_ADDRESS.b, '5201']);
  let source: ChildProcess | undefined;
  const startTimer = setTimeout(() => {
    source = net.spawnNode('a', BULK, ['source', NETEM_ADDRESS.b, '5201']);
  }, when.startS * 1000);
  const stopSource = () => source?.stdin?.end();
  const stopTimer = setTimeout(stopSource, when.stopS * 1000);
  return {
    async stop() {
      clearTimeout(startTimer);
      clearTimeout(stopTimer);
      stopSource();
      const bytes = new Promise<number>((resolve) => {
        let text = '';
        sink.stdout!.on('data', (d: Buffer) => (text += d.toString()));
        sink.once('close', () => resolve(Number(/"bytes":(\d+)/.exec(text)?.[1] ?? 0)));
      });
      sink.stdin!.end();
      return Promise.race([bytes, sleep(5000).then(() => 0)]);
    },
  };
}

/** Capacity probe: a reliable ordered channel kept busy (bounded queue) for `durationMs`. */
export async function measureCapacity(pair: StackPair, scenario: Scenario, durationMs: number): Promise<{ mbitS: number; messages: number }> {
  await pair.net.router.configure('both', CLEAN);
  await pair.connect('dc-reliable-ordered');
  try {
    await pair.net.router.configure('both', { ...CLEAN, ...scenario.spec });
    const before = await pair.b.request<ReceivedReport>({ cmd: 'received' }, 15_000);
    await pair.a.request<SendResult>({ cmd: 'saturate', size: 16 * 1024, durationMs, maxQueueBytes: 256 * 1024 }, durationMs + 60_000);
    const after = await pair.b.request<ReceivedReport>({ cmd: 'received' }, 15_000);
    const bytes = after.bytes - before.bytes;
    return { mbitS: (bytes * 8) / 1e6 / (durationMs / 1000), messages: after.count - before.count };
  } finally {
    await pair.disconnect();
    await pair.net.router.configure('both', CLEAN).catch(() => undefined);
  }
}

// ---- figures ------------------------------------------------------------------------------

export interface Figures {
  sent: number;
  delivered_count: number;
  delivered: number;
  p50_ms: number;
  p95_ms: number;
  p99_ms: number;
  /** 95% confidence interval of the p99 (order statistics); the upper end is null below ~370 samples. */
  p99_ci_ms: [number, number | null] | null;
  max_ms: number;
  goodput_mb_s: number;
  wire_per_payload: number;
  /** Loss the router applied to this row's UDP packets a -> b (fraction). */
  link_loss: number;
  /** Tail drops of this row's UDP packets at the bottleneck, a -> b (fraction of offered). */
  queue_drop: number;
  /** UDP packets a -> b during the row, and the largest IP packet a -> b seen on the link so far. */
  ab_packets: number;
  /** UDP packets b -> a: the receiver's acknowledgements (SCTP SACKs, and PDU's own ACKs for PDU). */
  ba_packets: number;
  /** The wire_per_payload split by direction: a -> b and b -> a. */
  wire_per_payload_ab: number;
  wire_per_payload_ba: number;
  /**
   * The row's most frequent UDP packet sizes each way, `[IP bytes, packets]`, most frequent
   * first (PACKET_SIZES_KEPT of them): where the wire bytes went, e.g. full data packets, SACK-only
   * packets (werift's 93 bytes), PDU's ACKs.
   */
  ab_packet_sizes: [number, number][];
  ba_packet_sizes: [number, number][];
  /** PDU: control datagrams (ACK, NACK, probe) the receiver sent; null for plain channels. */
  receiver_control_packets: number | null;
  /** PDU: the receiver's ACK frames by what made each due (asked, count, outOfOrder, delayed, holeRepeat, alongside). */
  receiver_acks_by_reason: Record<string, number> | null;
  largest_ip_packet_bytes: number;
  max_queue_bytes: number;
  expired: number;
  /** Reported expired to the sender, yet delivered to the receiving application (after the deadline). */
  expired_delivered: number;
  /** PDU: complete at the receiver at the row's end but held for an earlier ordered message. */
  held_for_order: number;
  /** Sent, neither delivered nor reported as expired or failed: lost without a word. */
  unaccounted: number;
  /**
   * PDU: sends still unsettled when the row ended (the sender is still recovering them; not lost,
   * and not in `unaccounted`). null for plain channels, which have no such state.
   */
  in_flight_at_end: number | null;
  retx_predictive: number | null;
  retx_timeout: number | null;
  retx_spurious: number | null;
  sctp_retransmitted: number | null;
  duplicates: number;
  malformed: number;
}

const PACKET_SIZES_KEPT = 12;

/** The sizes seen between two readings of one counter, most frequent first. */
function packetSizes(before: Record<number, number>, after: Record<number, number>): [number, number][] {
  return Object.entries(after)
    .map(([size, n]): [number, number] => [Number(size), n - (before[Number(size)] ?? 0)])
    .filter(([, n]) => n > 0)
    .sort((x, y) => y[1] - x[1] || x[0] - y[0])
    .slice(0, PACKET_SIZES_KEPT);
}

const round = (x: number, digits = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

function p99Interval(sorted: number[]): [number, number | null] | null {
  const ci = quantileInterval(sorted, 0.99);
  return ci && [round(ci[0], 1), ci[1] === null ? null : round(ci[1], 1)];
}

export function figures(r: RowResult): Figures {
  const lat = (r.received.latencies ?? []).map(([, ms]) => ms).sort((x, y) => x - y);
  const { before, after } = r.counters;
  const udp = (c: RouterCounters) => ({
    abBytes: c.aToB.byProtocol.udp.offeredBytes,
    baBytes: c.bToA.byProtocol.udp.offeredBytes,
    baOffered: c.bToA.byProtocol.udp.offeredPackets,
    abOffered: c.aToB.byProtocol.udp.offeredPackets,
    abLost: c.aToB.byProtocol.udp.lostPackets,
    abDropped: c.aToB.byProtocol.udp.droppedPackets,
  });
  const u0 = udp(before);
  const u1 = udp(after);
  const wireAb = u1.abBytes - u0.abBytes;
  const wireBa = u1.baBytes - u0.baBytes;
  const perPayload = (bytes: number) => round(r.received.bytes > 0 ? bytes / r.received.bytes : Number.NaN, 3);
  const abOffered = u1.abOffered - u0.abOffered;
  const span = (r.received.lastArrivalAt - r.send.firstSendAt) / 1000;
  const expired = Object.entries(r.sender.rejected).reduce((n, [code, k]) => n + (code === 'expired' ? k : 0), 0);
  const failed = Object.values(r.sender.rejected).reduce((n, k) => n + k, 0);
  const pdu = isPdu(r.plan.transport);
  // For PDU a send that settled as delivered but whose message the receiver never saw is also unaccounted.
  const retx = r.sender.stats?.retransmissions;
  const arrived = new Set((r.received.latencies ?? []).map(([seq]) => seq));
  const expiredDelivered = r.sender.expiredSeqs.filter((seq) => arrived.has(seq)).length;
  // Messages that never arrived, less those the sender was told about (or still waits for).
  const missing = r.send.sent - r.received.count;
  const held = r.received.heldForOrder;
  const unaccounted = pdu ? Math.max(0, missing - (failed - expiredDelivered) - r.sender.pending - held) : missing;
  return {
    sent: r.send.sent,
    delivered_count: r.received.count,
    delivered: round(r.received.count / r.send.sent, 4),
    p50_ms: round(percentile(lat, 0.5), 1),
    p95_ms: round(percentile(lat, 0.95), 1),
    p99_ms: round(percentile(lat, 0.99), 1),
    p99_ci_ms: p99Interval(lat),
    max_ms: round(lat[lat.length - 1] ?? Number.NaN, 1),
    goodput_mb_s: round(span > 0 ? r.received.bytes / 1e6 / span : 0, 4),
    wire_per_payload: perPayload(wireAb + wireBa),
    link_loss: round(abOffered > 0 ? (u1.abLost - u0.abLost) / abOffered : 0, 4),
    queue_drop: round(abOffered > 0 ? (u1.abDropped - u0.abDropped) / abOffered : 0, 4),
    ab_packets: abOffered,
    ba_packets: u1.baOffered - u0.baOffered,
    wire_per_payload_ab: perPayload(wireAb),
    wire_per_payload_ba: perPayload(wireBa),
    ab_packet_sizes: packetSizes(before.aToB.byProtocol.udp.packetsBySize, after.aToB.byProtocol.udp.packetsBySize),
    ba_packet_sizes: packetSizes(before.bToA.byProtocol.udp.packetsBySize, after.bToA.byProtocol.udp.packetsBySize),
    receiver_control_packets: r.received.controlPacketsSent ?? null,
    receiver_acks_by_reason: r.received.acksSent ?? null,
    largest_ip_packet_bytes: after.aToB.byProtocol.udp.largestPacketBytes,
    max_queue_bytes: r.sender.maxChannelQueueBytes,
    expired,
    expired_delivered: expiredDelivered,
    held_for_order: held,
    unaccounted,
    in_flight_at_end: pdu ? r.sender.pending : null,
    retx_predictive: retx ? retx.predictive : null,
    retx_timeout: retx ? retx.timeout : null,
    retx_spurious: retx ? retx.spurious : null,
    sctp_retransmitted: r.sender.sctp ? r.sender.sctp.retransmittedChunks : null,
    duplicates: r.received.duplicates,
    malformed: r.received.malformed,
  };
}

/** One line per second of a row: the sender's view, the router's queue and drops, latency by send time. */
export interface TimelinePoint {
  t_s: number;
  bulk: boolean;
  severity: number | null;
  bandwidth_mbit_s: number | null;
  pacing_mbit_s: number | null;
  fragment_size: number | null;
  sharded: boolean | null;
  messages_sharded: number | null;
  channel_queue_bytes: number;
  router_queue_bytes: number;
  udp_drops: number;
  tcp_drops: number;
  tcp_mbit_s: number;
  p95_ms: number | null;
}

export function timeline(r: RowResult, binMs = 1000): TimelinePoint[] {
  const t0 = r.send.firstSendAt;
  const intervalMs = 1000 / r.plan.rateHz;
  const bins = Math.ceil((r.send.lastSendAt - t0 + r.plan.drainMs) / binMs);
  const out: TimelinePoint[] = [];
  const senderAt = (s: SenderSample) => Math.floor((s.t - t0) / binMs);
  // Router samples use Date.now(), the agents the host clock: the same clock within a few ms.
  const routerAt = (s: RouterSample) => Math.floor((s.t - t0) / binMs);
  const lastSend = Math.floor((r.send.lastSendAt - t0) / binMs);
  for (let bin = 0; bin <= Math.min(bins, lastSend + 1); bin++) {
    const ss = r.sender.samples.filter((s) => senderAt(s) === bin);
    const rs = r.routerSamples.filter((s) => routerAt(s) === bin);
    const prev = r.routerSamples.filter((s) => routerAt(s) < bin).at(-1);
    const lastR = rs.at(-1);
    const lastS = ss.at(-1);
    const lat = (r.received.latencies ?? [])
      .filter(([seq]) => Math.floor((seq * intervalMs) / binMs) === bin)
      .map(([, ms]) => ms)
      .sort((x, y) => x - y);
    const bulk = r.plan.scenario.bulk;
    const tS = (bin * binMs) / 1000;
    out.push({
      t_s: tS,
      bulk: bulk !== undefined && tS >= bulk.startS && tS < bulk.stopS,
      severity: lastS?.severity ?? null,
      bandwidth_mbit_s: lastS?.bandwidthBps !== undefined ? round(lastS.bandwidthBps / 1e6, 2) : null,
      pacing_mbit_s: lastS?.pacingBps !== undefined ? round(lastS.pacingBps / 1e6, 2) : null,
      fragment_size: lastS?.fragmentSize ?? null,
      sharded: lastS?.sharded ?? null,
      messages_sharded: lastS?.messagesSharded ?? null,
      channel_queue_bytes: Math.max(0, ...ss.map((s) => s.channelQueueBytes)),
      router_queue_bytes: Math.max(0, ...rs.map((s) => s.queuedBytes)),
      udp_drops: lastR && prev ? lastR.udpDropped - prev.udpDropped : 0,
      tcp_drops: lastR && prev ? lastR.tcpDropped - prev.tcpDropped : 0,
      tcp_mbit_s: lastR && prev ? round(((lastR.tcpOfferedBytes - prev.tcpOfferedBytes) * 8) / 1e6 / ((lastR.t - prev.t) / 1000), 2) : 0,
      p95_ms: lat.length ? round(percentile(lat, 0.95), 0) : null,
    });
  }
  return out;
}
