import type { EngineStats, PduEngineOptions, PduEvent, SendOptions } from '../engine/index.js';
import { DEFAULT_CONFIG, PduEngine, PduError } from '../engine/index.js';
import { EngineDriver, bundleLossSignal } from '../host/engine-driver.js';
import type { PduHost } from '../host/pdu-host.js';
import type { CongestionSample } from '../congestion/congestion-report.js';
import { rttFromStats, type DatagramChannel, type LaneLoad, type StatsSource } from '../transport/datachannel.js';
import { ImpairedChannel, type ImpairmentConfig } from '../transport/impaired-channel.js';
import { NO_LANE, type CoreChoice, type SendReply, type SessionTransportOptions } from '../../worker/protocol.js';
import type { TransferableChannel } from './platform.js';

/** Where a channel's engine runs: on this thread, or in a worker behind the host. */
export interface SessionBackend {
  /** Resolves with the message UUID, or rejects with the engine's PduError code. */
  send(data: Uint8Array, opts: SendOptions | undefined): Promise<string>;
  stats(): Promise<EngineStats>;
  /** The engine's trace as JSON Lines (empty unless `trace.maxEvents` > 0). */
  exportTrace(): Promise<string>;
  /** Impairs outgoing datagrams between the engine and the channel (null: off). */
  impair(config: ImpairmentConfig | null): void;
  close(): void;
  /** Stops timers and relays; the backend is unusable afterwards. */
  dispose(): void;
}

/** A session whose channel exists but whose engine has not started (the role may not be known yet). */
export interface PreparedSession {
  /** Resolves when the data channel is open, wherever it lives. */
  readonly channelOpen: Promise<void>;
  /** True when the channel itself moved into the worker. */
  readonly transferred: boolean;
  start(options: PduEngineOptions, transport?: SessionTransportOptions): SessionBackend;
  /** Gives up before start (frees the host's reservation). */
  abandon(): void;
}

/**
 * A striped channel whose stripes move into the worker one by one, each in the task that created
 * it (`workerSession` with `{ stripes }`): the stripes of an in-band setup appear over several
 * tasks. This thread samples getStats() of the first stripe's connection only: the stripes share
 * one network path, and its RTT is what the sample carries.
 */
export interface StripedPreparedSession extends PreparedSession {
  /** Moves the next stripe's channel into the worker; call it in the task that created the channel. */
  addStripe(stripe: TransferableChannel): void;
  /** No more stripes: the worker joins them into one channel (channelOpen waits for all of them). */
  sealStripes(): void;
  readonly stripeCount: number;
}

export interface BackendCallbacks {
  onEvent(event: PduEvent): void;
  /** The backend itself failed (worker died): everything pending must fail with this. */
  onFailure(reason: string): void;
}

/** The engine on the calling thread. */
export function inlineSession(channel: DatagramChannel, callbacks: BackendCallbacks): PreparedSession {
  return {
    channelOpen: channel.whenOpen(),
    transferred: false,
    abandon: () => channel.close(),
    start(options, transport = {}) {
      const impaired = new ImpairedChannel(channel);
      const engine = new PduEngine(options);
      const driver = new EngineDriver<PduEvent, SendOptions, EngineStats>(engine, impaired, {
        bundleBytes: transport.bundleBytes,
        lossRate: bundleLossSignal(engine),
        onEvent: (event) => callbacks.onEvent(event),
      });
      driver.start();
      return {
        send: async (data, opts) => driver.send(data, opts),
        stats: async () => driver.engine.stats(),
        exportTrace: async () => driver.engine.exportTrace(),
        impair: (config) => impaired.impair(config),
        close: () => driver.act((engine, now) => engine.close(now)),
        dispose: () => driver.stop(),
      };
    },
  };
}

/**
 * The lanes to report of a relayed channel that has them. `placedHere`: per lane, bytes this
 * thread put there itself (datagrams the worker posted before it knew the lanes), left out of the
 * lane's `sentBytes` so that it counts what the worker sent on the lane, as the worker's
 * LaneBacklogWatch numbers it.
 */
export function laneState(channel: DatagramChannel, placedHere: readonly number[] = []): { lanes?: LaneLoad[] } {
  const lanes = channel.laneLoads?.();
  if (lanes === undefined || lanes.length === 0) return {};
  for (let i = 0; i < lanes.length; i++) {
    const lane = lanes[i]!;
    if (lane.sentBytes !== undefined && placedHere[i] !== undefined) lanes[i] = { ...lane, sentBytes: lane.sentBytes - placedHere[i]! };
  }
  return { lanes };
}

/** Bytes a session may hold at once, from its limits: what the host reserves in its budget. */
export function sessionMemoryBytes(options: { limits?: { maxSendBufferBytes?: number; maxReassemblyBytes?: number } }): number {
  const defaults = DEFAULT_CONFIG.limits;
  return (options.limits?.maxSendBufferBytes ?? defaults.maxSendBufferBytes) + (options.limits?.maxReassemblyBytes ?? defaults.maxReassemblyBytes);
}

/** The platform would not move a data channel into the worker (postMessage refused the transfer). */
export class TransferRefused extends Error {}

type WorkerSource = { transferable: TransferableChannel } | { channel: DatagramChannel } | { stripes: TransferableChannel };

/**
 * The engine in a worker. Where the platform allows it the data channel itself moves into the
 * worker (`transferable`), and this thread only answers getStats; otherwise the channel stays
 * here and its datagrams are relayed in batches, one postMessage per task each way. `stripes`:
 * the first stripe of a striped channel, moved at once, the others by `addStripe`; throws
 * TransferRefused (nothing attached) when it cannot move, and the caller relays the stripes.
 */
export function workerSession(
  host: PduHost,
  source: { stripes: TransferableChannel },
  memoryBytes: number,
  highWaterBytes: number,
  coreChoice: CoreChoice,
  callbacks: BackendCallbacks,
  sampleIntervalMs?: number,
): StripedPreparedSession;
export function workerSession(
  host: PduHost,
  source: { transferable: TransferableChannel } | { channel: DatagramChannel },
  memoryBytes: number,
  highWaterBytes: number,
  coreChoice: CoreChoice,
  callbacks: BackendCallbacks,
  sampleIntervalMs?: number,
): PreparedSession;
export function workerSession(
  host: PduHost,
  source: WorkerSource,
  memoryBytes: number,
  highWaterBytes: number,
  coreChoice: CoreChoice,
  callbacks: BackendCallbacks,
  sampleIntervalMs = 250,
): StripedPreparedSession {
  const pendingSends = new Map<number, { resolve: (id: string) => void; reject: (err: unknown) => void }>();
  const pendingStats = new Map<number, (stats: EngineStats) => void>();
  const pendingTraces = new Map<number, (jsonl: string) => void>();
  let nextTicket = 1;
  let disposed = false;
  let channelOpened!: () => void;
  let channelFailed!: (err: Error) => void;
  const channelOpen = new Promise<void>((resolve, reject) => {
    channelOpened = resolve;
    channelFailed = reject;
  });
  channelOpen.catch(() => undefined);

  /** Per lane, bytes this thread placed itself (laneState). */
  const placedHere: number[] = [];
  const port = host.attach(memoryBytes, {
    onOutput(output) {
      if (relayed) {
        const { datagrams, lanes } = output;
        for (let i = 0; i < datagrams.length; i++) {
          if (!relayed.open) continue;
          const given = lanes?.[i];
          if (given !== undefined && given !== NO_LANE) {
            relayed.send(datagrams[i]!, given);
            continue;
          }
          const chosen = relayed.pickLane?.();
          if (chosen !== undefined) placedHere[chosen] = (placedHere[chosen] ?? 0) + datagrams[i]!.byteLength;
          relayed.send(datagrams[i]!, chosen);
        }
      }
      if (output.datagrams.length > 0) {
        reportState();
        watchQueue();
      }
      for (const reply of output.sendReplies) settleSend(reply);
      for (const { ticket, stats } of output.statsReplies) {
        pendingStats.get(ticket)?.(stats);
        pendingStats.delete(ticket);
      }
      for (const { ticket, jsonl } of output.traceReplies) {
        pendingTraces.get(ticket)?.(jsonl);
        pendingTraces.delete(ticket);
      }
      for (const event of output.events) callbacks.onEvent(event);
    },
    onChannelOpen: () => channelOpened(),
    onSessionError(message) {
      channelFailed(new Error(message));
      callbacks.onFailure(`worker session error: ${message}`);
    },
    onWorkerFailure(reason) {
      channelFailed(new Error(reason));
      for (const { reject } of pendingSends.values()) reject(new PduError('closed', reason));
      pendingSends.clear();
      callbacks.onFailure(reason);
    },
  });

  // Move the channel now, in the task that created it; fall back to relaying if refused.
  let relayed: DatagramChannel | undefined;
  let getStats: () => Promise<unknown>;
  let stripeCount = 0;
  const attach = (channel: TransferableChannel, stripe?: number) =>
    port.post({ type: 'attach-channel', session: port.session, channel: channel.raw, highWaterBytes, ...(stripe === undefined ? {} : { stripe }) }, [
      channel.raw as Transferable,
    ]);
  const moveStripe = (stripe: TransferableChannel) => {
    attach(stripe, stripeCount);
    stripeCount++;
  };
  if ('stripes' in source) {
    // Striped: no fallback per stripe (the caller relays them all when the first cannot move).
    try {
      moveStripe(source.stripes);
    } catch (err) {
      port.release();
      throw new TransferRefused((err as Error).message);
    }
    getStats = source.stripes.getStats;
  } else if ('transferable' in source) {
    try {
      attach(source.transferable);
      getStats = source.transferable.getStats;
    } catch {
      relayed = source.transferable.adaptHere();
      getStats = () => relayed!.sample();
    }
  } else {
    relayed = source.channel;
    getStats = () => relayed!.sample();
  }
  const transferred = relayed === undefined;

  const settleSend = (reply: SendReply) => {
    const pending = pendingSends.get(reply.ticket);
    pendingSends.delete(reply.ticket);
    if (!pending) return;
    if ('id' in reply) pending.resolve(reply.id);
    else pending.reject(new PduError(reply.error.code as PduError['code'], reply.error.message));
  };
  let reportedAt = Number.NEGATIVE_INFINITY;
  // Whether the lanes tell their room is a property of the channel (werift's, or stripes that all
  // are): looked at once, not on every send.
  const laneRoomKnown = relayed?.laneLoads?.()?.some((lane) => lane.room !== undefined) === true;
  const reportState = () => {
    reportedAt = performance.now();
    if (relayed) port.post({
        type: 'channel-state',
        session: port.session,
        open: relayed.open,
        queuedBytes: relayed.queuedBytes(),
        highWaterBytes: relayed.highWaterBytes,
        ...laneState(relayed, placedHere),
      });
  };

  // The worker limits the channel queue by its drain rate and must see it drain: while anything is
  // queued, or the channel has no room at all (werift's room shrinks with its SCTP flight), report
  // the queue every few ms (the channel's own low-water event comes much later, or not at all).
  let queueWatch: ReturnType<typeof setTimeout> | undefined;
  const watchQueue = () => {
    if (queueWatch !== undefined || !relayed) return;
    queueWatch = setTimeout(() => {
      queueWatch = undefined;
      if (disposed) return;
      reportState();
      const queued = relayed!.queuedBytes();
      if (queued > 0 || queued >= relayed!.highWaterBytes) watchQueue();
    }, 5);
  };

  if (relayed) {
    const channel = relayed;
    let inbound: Uint8Array[] = [];
    channel.onDatagram((datagram) => {
      if (inbound.length === 0) {
        queueMicrotask(() => {
          const batch = inbound;
          inbound = [];
          port.post({ type: 'datagrams', session: port.session, datagrams: batch }, batch.map((d) => d.buffer as ArrayBuffer));
        });
      }
      // A buffer of its own: the transfer detaches it.
      inbound.push(datagram.byteOffset === 0 && datagram.byteLength === datagram.buffer.byteLength ? datagram : datagram.slice());
    });
    channel.onWritable(reportState);
    channel.onClose(reportState);
    channel.whenOpen().then(channelOpened, channelFailed);
  }

  let sampler: ReturnType<typeof setInterval> | undefined;

  return {
    channelOpen,
    transferred,
    get stripeCount() {
      return stripeCount;
    },
    addStripe: moveStripe,
    sealStripes: () => port.post({ type: 'stripes-attached', session: port.session, count: stripeCount }),
    abandon() {
      disposed = true;
      port.release();
      relayed?.close();
    },
    start(options, transport = {}) {
      port.post({ type: 'open', session: port.session, options, highWaterBytes, core: coreChoice, transport });
      reportState();
      sampler = setInterval(() => {
        getStats().then(
          (report) => {
            if (disposed) return;
            // A relayed channel samples itself; a moved one leaves only getStats() on this thread.
            const sample = relayed ? (report as CongestionSample) : rttFromStats(report as Awaited<ReturnType<StatsSource>>);
            port.post({ type: 'sample', session: port.session, sample });
          },
          () => undefined,
        );
      }, sampleIntervalMs);
      return {
        send(data, opts) {
          const ticket = nextTicket++;
          return new Promise<string>((resolve, reject) => {
            pendingSends.set(ticket, { resolve, reject });
            // Where the worker picks lanes by their room: a window changes between reports (werift's
            // opens with SACKs, and drops to one chunk when its retransmission timer fires), so a
            // message's first flight is placed from a fresh look.
            if (laneRoomKnown && performance.now() - reportedAt > 1) reportState();
            // The application's buffer moves to the worker: no copy on this thread.
            const owned = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
            port.post({ type: 'send', session: port.session, ticket, data, opts }, owned ? [data.buffer as ArrayBuffer] : []);
          });
        },
        stats() {
          const ticket = nextTicket++;
          return new Promise<EngineStats>((resolve) => {
            pendingStats.set(ticket, resolve);
            port.post({ type: 'stats', session: port.session, ticket });
          });
        },
        exportTrace() {
          const ticket = nextTicket++;
          return new Promise<string>((resolve) => {
            pendingTraces.set(ticket, resolve);
            port.post({ type: 'trace', session: port.session, ticket });
          });
        },
        impair: (config) => port.post({ type: 'impair', session: port.session, config }),
        close: () => port.post({ type: 'close', session: port.session }),
        dispose() {
          disposed = true;
          if (sampler !== undefined) clearInterval(sampler);
          if (queueWatch !== undefined) clearTimeout(queueWatch);
          port.release();
        },
      };
    },
  };
}
