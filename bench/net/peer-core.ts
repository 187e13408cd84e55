/**
 * One bench:net peer, the same code in Node (werift) and in a Chromium page: it connects one
 * channel of a given transport (PDU with a recovery policy, or a plain data channel of one kind),
 * sends numbered, time-stamped messages at a fixed rate, and records what arrives. Whatever is
 * stack-specific comes in through PeerEnv.
 */
import type { PduChannel, PduChannelOptions } from '../../src/api.js';
import type { EngineStats } from '../../src/engine/index.js';
import { negotiate, type NegotiablePeer, type SignalingChannel } from '../../src/signaling/index.js';
import {
  HEADER_BYTES,
  isPdu,
  type AgentCommand,
  type ConnectResult,
  type PduStatsSummary,
  type ReceivedReport,
  type SendResult,
  type SenderReport,
  type SenderSample,
  type Transport,
} from './protocol.js';

/** A plain data channel of either stack, as the benchmark uses it. */
export interface PlainChannel {
  whenOpen(): Promise<void>;
  send(data: Uint8Array): void;
  onMessage(handler: (data: Uint8Array) => void): void;
  /** Bytes the application handed over that have not left (or not been acknowledged). */
  queuedBytes(): number;
  settings(): { ordered: boolean; maxRetransmits: number | null };
  close(): void;
}

export interface PeerEnv {
  /** Host clock in ms, comparable across processes on this machine. */
  now(): number;
  createPeer(): Promise<unknown>;
  closePeer(pc: unknown): void;
  openPdu(pc: unknown, options: PduChannelOptions): Promise<PduChannel>;
  openPlain(pc: unknown, init: { ordered: boolean; maxRetransmits?: number }): PlainChannel;
  signaling(url: string, room: string): SignalingChannel;
  /** Counts SCTP DATA chunks sent and resent (werift only). */
  countSctp?(pc: unknown): () => { dataChunks: number; retransmittedChunks: number };
  serveSignaling?(host: string): Promise<string>;
}

const PLAIN: Record<string, { ordered: boolean; maxRetransmits?: number }> = {
  'dc-reliable-ordered': { ordered: true },
  'dc-reliable-unordered': { ordered: false },
  'dc-mr1': { ordered: false, maxRetransmits: 1 },
  'dc-mr0': { ordered: false, maxRetransmits: 0 },
};

const PREDICTOR = { 'pdu-heuristic': 'heuristic', 'pdu-timeout': 'timeout', 'pdu-model': 'model' } as const;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Session {
  transport: Transport;
  pc: unknown;
  signaling: SignalingChannel;
  pdu?: PduChannel;
  plain?: PlainChannel;
  /** SCTP DATA chunks sent and resent, per peer connection (werift only). */
  sctp?: () => SctpCounts[];
  sctpAtStart?: SctpCounts[];
  /** Striping: the peer connections PDU made beside the first (PduChannelOptions.stripes). */
  extraPcs: unknown[];
  // sender
  outcomes: { delivered: number; rejected: Record<string, number>; pending: number };
  expiredSeqs: number[];
  settled: Array<Promise<void>>;
  samples: SenderSample[];
  maxQueue: number;
  sampler?: ReturnType<typeof setInterval>;
  // receiver
  seen: Set<number>;
  latencies: Array<[number, number]>;
  received: { count: number; bytes: number; duplicates: number; malformed: number; first: number; last: number; highestSeq: number; outOfOrder: number };
}

/** The connect command's options past where and what to connect. */
type ConnectOptions = Omit<Extract<AgentCommand, { cmd: 'connect' }>, 'cmd' | 'url' | 'room' | 'transport'>;

export class BenchPeer {
  private session: Session | undefined;

  constructor(private readonly env: PeerEnv) {}

  async handle(command: AgentCommand): Promise<unknown> {
    switch (command.cmd) {
      case 'serveSignaling':
        if (!this.env.serveSignaling) throw new Error('this agent cannot serve signaling');
        return { url: await this.env.serveSignaling(command.host) };
      case 'connect':
        return this.connect(command.url, command.room, command.transport, command);
      case 'send':
        return this.send(command);
      case 'saturate':
        return this.saturate(command.size, command.durationMs, command.maxQueueBytes);
      case 'senderReport':
        return this.senderReport(command.waitMs);
      case 'received':
        return await this.receivedReport(command.latencies === true);
      case 'trace':
        return { jsonl: this.session?.pdu ? await this.session.pdu.exportTrace() : '' };
      case 'close':
        await this.close();
        return {};
    }
  }

  private async connect(
    url: string,
    room: string,
    transport: Transport,
    { highWaterBytes, traceEvents, maxDatagramSize, stripes, packetThreshold, duplicateRetransmissions, laneLossDetection, ack }: ConnectOptions,
  ): Promise<ConnectResult> {
    if (this.session) await this.close();
    const started = this.env.now();
    const pc = await this.env.createPeer();
    const signaling = this.env.signaling(url, room);
    const s: Session = {
      transport,
      pc,
      signaling,
      extraPcs: [],
      outcomes: { delivered: 0, rejected: {}, pending: 0 },
      expiredSeqs: [],
      settled: [],
      samples: [],
      maxQueue: 0,
      seen: new Set(),
      latencies: [],
      received: { count: 0, bytes: 0, duplicates: 0, malformed: 0, first: 0, last: 0, highestSeq: -1, outOfOrder: 0 },
    };
    this.session = s;
    let role: 'initiator' | 'responder';
    let pduChannel: ConnectResult['channel'];
    if (isPdu(transport)) {
      // Striping: PDU makes the other N-1 peer connections as this one is made, and negotiates
      // them over it (PduChannelOptions.stripes).
      const createPeer = async () => {
        const extra = await this.env.createPeer();
        s.extraPcs.push(extra);
        return extra;
      };
      // Pre-negotiated channel: open before negotiation, resolves after the PDU handshake.
      const seen = watchChannelCreation(pc);
      const opening = this.env.openPdu(pc, {
        recovery: {
          predictor: PREDICTOR[transport],
          ...(packetThreshold ? { packetThreshold } : {}),
          ...(duplicateRetransmissions !== undefined ? { duplicateRetransmissions } : {}),
          ...(laneLossDetection !== undefined ? { laneLossDetection } : {}),
        },
        ...(ack ? { ack } : {}),
        statsIntervalMs: 0,
        ...(highWaterBytes !== undefined ? { highWaterBytes } : {}),
        ...(traceEvents ? { trace: { maxEvents: traceEvents } } : {}),
        ...(maxDatagramSize ? { maxDatagramSize } : {}),
        ...(stripes !== undefined && stripes > 1 ? { stripes: { count: stripes, createPeer } } : {}),
      });
      opening.catch(() => undefined);
      pduChannel = seen();
      role = await negotiate(pc as NegotiablePeer, signaling);
      s.pdu = await opening;
      s.pdu.on('message', ({ data }) => this.onArrival(data));
    } else {
      const plain = this.env.openPlain(pc, PLAIN[transport]!);
      plain.onMessage((data) => this.onArrival(data));
      role = await negotiate(pc as NegotiablePeer, signaling);
      await plain.whenOpen();
      s.plain = plain;
    }
    if (this.env.countSctp) {
      const counters = [pc, ...s.extraPcs].map((p) => this.env.countSctp!(p));
      s.sctp = () => counters.map((c) => c());
    }
    const channel = s.plain ? s.plain.settings() : pduChannel;
    return { role, connectMs: this.env.now() - started, ...(channel ? { channel } : {}) };
  }

  private active(): Session {
    if (!this.session) throw new Error('not connected');
    return this.session;
  }

  private onArrival(data: Uint8Array): void {
    const s = this.session;
    if (!s) return;
    const now = this.env.now();
    const r = s.received;
    if (data.byteLength < HEADER_BYTES) {
      r.malformed++;
      return;
    }
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    const seq = view.getUint32(0);
    const sentAt = view.getFloat64(4);
    if (view.getUint32(data.byteLength - 4) !== seq) {
      r.malformed++;
      return;
    }
    if (s.seen.has(seq)) {
      r.duplicates++;
      return;
    }
    s.seen.add(seq);
    if (seq < r.highestSeq) r.outOfOrder++;
    r.highestSeq = Math.max(r.highestSeq, seq);
    if (r.count === 0) r.first = now;
    r.last = now;
    r.count++;
    r.bytes += data.byteLength;
    s.latencies.push([seq, Math.round((now - sentAt) * 100) / 100]);
  }

  private message(seq: number, size: number): Uint8Array {
    const data = new Uint8Array(Math.max(size, HEADER_BYTES + 4));
    const view = new DataView(data.buffer);
    view.setUint32(0, seq);
    view.setFloat64(4, this.env.now());
    view.setUint32(data.byteLength - 4, seq); // a truncated or misassembled message fails this check
    return data;
  }

  private async send(c: Extract<AgentCommand, { cmd: 'send' }>): Promise<SendResult> {
    const s = this.active();
    s.sctpAtStart = s.sctp?.();
    const sampleMs = c.sampleMs ?? 250;
    s.sampler = setInterval(() => void this.sample(s), sampleMs);
    const start = this.env.now();
    let late = 0;
    let first = 0;
    for (let seq = 0; seq < c.count; seq++) {
      const due = start + seq * c.intervalMs;
      const wait = due - this.env.now();
      if (wait > 0) await sleep(wait);
      else if (-wait > c.intervalMs) late++;
      const data = this.message(seq, c.size);
      if (seq === 0) first = this.env.now();
      if (s.pdu) {
        s.outcomes.pending++;
        const opts = c.deadlineMs !== undefined ? { deadlineMs: c.deadlineMs } : undefined;
        s.settled.push(
          s.pdu.send(data, opts).then(
            () => {
              s.outcomes.pending--;
              s.outcomes.delivered++;
            },
            (err: { code?: string }) => {
              s.outcomes.pending--;
              const code = err.code ?? 'error';
              s.outcomes.rejected[code] = (s.outcomes.rejected[code] ?? 0) + 1;
              if (code === 'expired') s.expiredSeqs.push(seq);
            },
          ),
        );
      } else {
        try {
          s.plain!.send(data);
        } catch (err) {
          const code = (err as Error).name || 'error';
          s.outcomes.rejected[code] = (s.outcomes.rejected[code] ?? 0) + 1;
        }
        s.maxQueue = Math.max(s.maxQueue, s.plain!.queuedBytes());
      }
    }
    return { sent: c.count, firstSendAt: first, lastSendAt: this.env.now(), lateSends: late };
  }

  private async saturate(size: number, durationMs: number, maxQueueBytes: number): Promise<SendResult> {
    const s = this.active();
    if (!s.plain) throw new Error('saturate: plain channels only');
    const first = this.env.now();
    const end = first + durationMs;
    let seq = 0;
    while (this.env.now() < end) {
      if (s.plain.queuedBytes() + size > maxQueueBytes) {
        await sleep(2);
        continue;
      }
      s.plain.send(this.message(seq++, size));
      if (seq % 16 === 0) await sleep(0);
    }
    return { sent: seq, firstSendAt: first, lastSendAt: this.env.now(), lateSends: 0 };
  }

  private async sample(s: Session): Promise<void> {
    const t = Math.round(this.env.now());
    if (s.plain) {
      const q = s.plain.queuedBytes();
      s.maxQueue = Math.max(s.maxQueue, q);
      s.samples.push({ t, channelQueueBytes: q });
      return;
    }
    const st = await s.pdu!.stats().catch(() => undefined);
    if (!st) return;
    const r = st.congestion.report;
    s.maxQueue = Math.max(s.maxQueue, r.queueBytes);
    s.samples.push({
      t,
      channelQueueBytes: r.queueBytes,
      sendBufferBytes: st.memory.sendBufferBytes,
      severity: round(r.severity, 3),
      bandwidthBps: Math.round(r.bandwidth),
      latencyMs: round(r.latency, 1),
      packetLoss: round(r.packetLoss, 4),
      fragmentSize: st.sharding.lastFragmentSize,
      sharded: st.sharding.lastSharded,
      messagesSharded: st.sharding.messagesSharded,
      pacingBps: Math.round(st.congestion.pacingRate),
      cwndBytes: Math.round(st.congestion.cwndBytes),
      bytesInFlight: st.congestion.bytesInFlight,
      retxPredictive: st.recovery.retransmissions.predictive,
      retxTimeout: st.recovery.retransmissions.timeout,
      delivered: st.messages.delivered,
    });
  }

  private async senderReport(waitMs: number): Promise<SenderReport> {
    const s = this.active();
    if (s.pdu) await Promise.race([Promise.all(s.settled), sleep(waitMs)]);
    if (s.sampler !== undefined) clearInterval(s.sampler);
    s.sampler = undefined;
    const stats = s.pdu ? summarize(await s.pdu.stats()) : undefined;
    // Per connection, since the sending began.
    const sctp = s.sctp?.().map((now, i) => {
      const base = s.sctpAtStart?.[i] ?? { dataChunks: 0, retransmittedChunks: 0 };
      return { dataChunks: now.dataChunks - base.dataChunks, retransmittedChunks: now.retransmittedChunks - base.retransmittedChunks };
    });
    return {
      ...s.outcomes,
      rejected: { ...s.outcomes.rejected },
      expiredSeqs: [...s.expiredSeqs],
      maxChannelQueueBytes: s.maxQueue,
      samples: s.samples,
      ...(stats ? { stats } : {}),
      ...(sctp
        ? {
            sctp: {
              dataChunks: sctp.reduce((sum, c) => sum + c.dataChunks, 0),
              retransmittedChunks: sctp.reduce((sum, c) => sum + c.retransmittedChunks, 0),
            },
          }
        : {}),
      ...(sctp && sctp.length > 1 ? { stripeChunks: sctp.map((c) => c.dataChunks) } : {}),
    };
  }

  private async receivedReport(withLatencies: boolean): Promise<ReceivedReport> {
    const s = this.active();
    const r = s.received;
    const stats = s.pdu ? await s.pdu.stats().catch(() => undefined) : undefined;
    return {
      heldForOrder: stats?.memory.orderedWaiting ?? 0,
      controlPacketsSent: stats ? stats.traffic.controlPacketsSent : null,
      acksSent: stats ? stats.recovery.acksSent : null,
      count: r.count,
      bytes: r.bytes,
      duplicates: r.duplicates,
      malformed: r.malformed,
      firstArrivalAt: r.first,
      lastArrivalAt: r.last,
      outOfOrder: r.outOfOrder,
      ...(withLatencies ? { latencies: s.latencies } : {}),
    };
  }

  private async close(): Promise<void> {
    const s = this.session;
    if (!s) return;
    this.session = undefined;
    if (s.sampler !== undefined) clearInterval(s.sampler);
    try {
      if (s.pdu) await Promise.race([s.pdu.close(), sleep(3000)]);
      s.plain?.close();
    } catch {
      // closing what already failed
    }
    s.signaling.close();
    this.env.closePeer(s.pc);
    // PDU closes the stripes' peers it made; again here in case its close timed out (harmless twice).
    for (const p of s.extraPcs) this.env.closePeer(p);
  }
}

/**
 * Records the settings of the data channel PDU creates on `pc` (the proof that SCTP does not
 * retransmit under PDU: unordered, maxRetransmits 0), read as the stack reports them. Returns a
 * function that stops watching and gives what it saw.
 */
function watchChannelCreation(pc: unknown): () => ConnectResult['channel'] {
  const peer = pc as { createDataChannel: (label: string, init?: unknown) => { ordered: boolean; maxRetransmits?: number | null } };
  const own = Object.prototype.hasOwnProperty.call(peer, 'createDataChannel');
  const original = peer.createDataChannel;
  let seen: ConnectResult['channel'];
  peer.createDataChannel = (label, init) => {
    const channel = original.call(peer, label, init);
    seen ??= { ordered: channel.ordered, maxRetransmits: channel.maxRetransmits ?? null };
    return channel;
  };
  return () => {
    if (own) peer.createDataChannel = original;
    else delete (peer as Partial<typeof peer>).createDataChannel;
    return seen;
  };
}

const round = (x: number, digits: number) => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : x);

function summarize(st: EngineStats): PduStatsSummary {
  const r = st.congestion.report;
  return {
    predictor: st.recovery.predictor,
    ...(st.recovery.predictorFallback ? { predictorFallback: st.recovery.predictorFallback } : {}),
    retransmissions: { ...st.recovery.retransmissions },
    untrustedLanes: st.recovery.untrustedLanes,
    nacksReceived: st.recovery.nacksReceived,
    messages: { sent: st.messages.sent, delivered: st.messages.delivered, expired: st.messages.expired },
    traffic: {
      wireBytesSent: st.traffic.wireBytesSent,
      payloadBytesSent: st.traffic.payloadBytesSent,
      payloadBytesResent: st.traffic.payloadBytesResent,
      datagramsSent: st.traffic.datagramsSent,
    },
    report: { latency: r.latency, jitter: r.jitter, packetLoss: r.packetLoss, bandwidth: r.bandwidth, queueBytes: r.queueBytes, severity: r.severity },
    sharding: { ...st.sharding },
    srttMs: st.rtt.srtt,
    minRttMs: st.rtt.minRtt,
  };
}

interface SctpCounts {
  dataChunks: number;
  retransmittedChunks: number;
}
