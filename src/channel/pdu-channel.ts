import type { CongestionReport } from '../congestion/congestion-report.js';
import type { EngineStats, PduEngineOptions, PduEvent, SendOptions } from '../engine/index.js';
import { PduError, STRIPED_ASKED_ACK_DELAY_RTT } from '../engine/index.js';
import { PduHost, PduHostError } from '../host/pdu-host.js';
import type { CoreChoice } from '../../worker/protocol.js';
import { loadWasmCore, referenceCore, type PduCore } from '../core/index.js';
import type { DatagramChannel } from '../transport/datachannel.js';
import { StripedChannel } from '../transport/striped-channel.js';
import type { ImpairmentConfig } from '../transport/impaired-channel.js';
import { PduChannelError, type PduChannelErrorCode } from './errors.js';
import { peerChannelFactoryFor, type ControlChannel, type PeerChannelFactory, type TransferableChannel } from './platform.js';
import { closePeers, MAX_STRIPES, negotiateStripes, type NegotiatedStripes, type StripeOptions } from './stripe-negotiation.js';
import {
  inlineSession,
  sessionMemoryBytes,
  TransferRefused,
  workerSession,
  type PreparedSession,
  type SessionBackend,
  type StripedPreparedSession,
} from './session-backend.js';

/** Queue bound of a channel moved into the worker when the caller sets none (a relayed one has its adapter's). */
const DEFAULT_MOVED_HIGH_WATER = 256 * 1024;

export interface PduChannelOptions extends Omit<PduEngineOptions, 'role' | 'core'> {
  /** Defaults to 'initiator' on the side that made the SDP offer. */
  role?: 'initiator' | 'responder';
  /** Run the engine in a worker (default true) or on this thread. */
  worker?: boolean;
  /** The engine's byte-work core: WebAssembly (default; the reference if it cannot load) or the TypeScript reference. */
  core?: CoreChoice;
  /** The host whose workers run the session (default: a shared one). */
  host?: PduHost;
  /** Pre-negotiated channel label and id (default 'pdu' and 1000: both sides must agree). */
  label?: string;
  channelId?: number;
  /** Queue bound below PDU, bytes (the stack adapter's default otherwise). */
  highWaterBytes?: number;
  /**
   * Largest bundle of datagrams sent as one data-channel message, bytes (default 16 KiB, at most
   * 64 KiB; 0: one datagram per message, as before bundles). Bundles go only to a peer that sends
   * them too and only while the path shows no loss (docs/PROTOCOL.md section 13).
   */
  bundleBytes?: number;
  /** How long `send` waits for room in a full send buffer before rejecting, ms (default 30 s). */
  backpressureTimeoutMs?: number;
  /** How long `open` waits for the handshake (and, with `stripes`, their setup before it), ms (default 15 s). */
  openTimeoutMs?: number;
  /** Emit a `stats` event this often, ms (0: never; default 1000). */
  statsIntervalMs?: number;
  /**
   * Stripe over several peer connections that PDU opens and negotiates itself, in band over the
   * one given to `open` (a reliable control channel with id `channelId + 1` beside PDU's own):
   * a count, the extra connections made like the first, or `{ count, createPeer }`. Both sides
   * must pass it; the smaller count wins. Under loss each connection's SCTP window is
   * what holds a message back, so several let a message leave in one flight (docs/BENCHMARKS.md,
   * "Striping"); each costs its own ICE, DTLS and SCTP setup, together they take up to `count`
   * times one connection's share of a congested link, and on a fast clean path the stripes'
   * queues skew and reorder. For lossy paths at modest rates, not fast clean ones.
   */
  stripes?: number | StripeOptions;
}

export type ChannelSendOptions = SendOptions;

export interface PduChannelEvents {
  message: { id: string; data: Uint8Array };
  congestion: CongestionReport;
  stats: EngineStats;
  error: PduChannelError;
  close: { reason: string };
}

/** Default largest bundle (PduChannelOptions.bundleBytes). */
export const DEFAULT_BUNDLE_BYTES = 16 * 1024;

type Handler<K extends keyof PduChannelEvents> = (event: PduChannelEvents[K]) => void;

/**
 * The application's PDU channel (the guest driver): the same in browsers and in Node, with the
 * engine in a worker or inline. `send` resolves when the peer has the whole message.
 */
export class PduChannel {
  private readonly handlers: { [K in keyof PduChannelEvents]: Set<Handler<K>> } = {
    message: new Set(),
    congestion: new Set(),
    stats: new Set(),
    error: new Set(),
    close: new Set(),
  };
  /** Sends the engine accepted, by message UUID, waiting for `delivered` or `expired`. */
  private readonly inFlight = new Map<string, { resolve: () => void; reject: (err: PduChannelError) => void }>();
  /** Sends waiting for room in the engine's send buffer. */
  private readonly waitingForRoom: Array<() => void> = [];
  private backend!: SessionBackend;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private closedReason: string | undefined;
  private closeWaiters: Array<() => void> = [];
  private connected!: (sas: string) => void;
  private connectFailed!: (err: PduChannelError) => void;
  private sasValue = '';
  /**
   * Messages received while no `message` handler was attached, handed to the first one, at most
   * MAX_UNHEARD of them; beyond that they are dropped and counted in `unheardDropped`.
   */
  private readonly unheard: Array<PduChannelEvents['message']> = [];
  private static readonly MAX_UNHEARD = 4096;
  unheardDropped = 0;
  /** True when the data channel itself runs in the worker (no datagram crosses this thread). */
  transferred = false;
  /** Malformed or excess messages from the peer on the stripes' control channel, dropped. */
  stripeSignalsDropped = 0;
  /** Peer connections the channel stripes over (with `stripes`, the smaller of the two counts). */
  stripeCount = 1;
  /** Extra peer connections PDU opened for `stripes`: closed with the channel. */
  private ownedPeers: unknown[] = [];

  private constructor(private readonly options: PduChannelOptions) {}

  /**
   * Creates PDU's data channel on `pc` (a browser RTCPeerConnection, or a werift one in Node),
   * or uses `channel` directly, and resolves once the PDU handshake is done. Call it before or
   * during signaling: the channel is pre-negotiated, so it must exist before the offer.
   *
   * Given several peer connections to the same peer (each negotiated on its own, the same number
   * on both sides, in the same order), PDU stripes its datagrams over one channel on each
   * (StripedChannel): every connection has its own SCTP association and congestion window, so
   * under loss a message leaves in one flight instead of several. The role is read from the first.
   * `options.stripes` has PDU open and negotiate those connections itself.
   */
  static async open(pc: unknown, options: PduChannelOptions = {}): Promise<PduChannel> {
    const pcs = Array.isArray(pc) ? (pc as unknown[]) : [pc];
    const factories = pcs.map((p) => peerChannelFactoryFor(p));
    const factory = factories[0];
    if (pcs.length === 0 || !factory || factories.some((f) => f === undefined)) {
      throw new PduChannelError('invalid-argument', 'PduChannel.open: not a peer connection this platform supports');
    }
    const init = { label: options.label ?? 'pdu', id: options.channelId ?? 1000, ...(options.highWaterBytes ? { highWaterBytes: options.highWaterBytes } : {}) };
    if (options.stripes != null) {
      const stripes = typeof options.stripes === 'number' ? { count: options.stripes } : options.stripes;
      const peerLike = factory.peerLike?.bind(factory);
      const createPeer = stripes.createPeer ?? (peerLike ? () => peerLike(pcs[0]) : undefined);
      return PduChannel.openStriped(pcs, factory, init, options, { count: stripes.count, createPeer: createPeer as () => unknown });
    }
    const ch = new PduChannel(options);
    const first = pcs[0];
    const stacks = factories as PeerChannelFactory[];
    const channel = () => (pcs.length === 1 ? factory.open(first, init) : new StripedChannel(pcs.map((p, i) => stacks[i]!.open(p, init))));
    let prepared: PreparedSession;
    if (options.worker === false) prepared = inlineSession(channel(), ch.callbacks());
    else if (stacks.every((f) => f.openTransferable)) {
      // Channels that can move are created and moved in this same task.
      const movable: TransferableChannel[] = [];
      let striped: StripedPreparedSession | undefined;
      try {
        for (let i = 0; i < pcs.length; i++) movable.push(stacks[i]!.openTransferable!(pcs[i], init));
        if (movable.length === 1) prepared = ch.prepareInWorker({ transferable: movable[0]! });
        else if ((striped = ch.prepareStripesInWorker(movable[0]!))) {
          for (const t of movable.slice(1)) striped.addStripe(t);
          striped.sealStripes();
          prepared = striped;
        } else prepared = ch.prepareInWorker({ channel: new StripedChannel(movable.map((t) => t.adaptHere())) });
      } catch (err) {
        // What reached the worker goes with its session; the rest is closed here.
        for (const t of movable.slice(striped?.stripeCount ?? 0)) t.adaptHere().close();
        striped?.abandon();
        if (err instanceof PduHostError) throw err;
        throw new PduChannelError('invalid-argument', `PduChannel.open: cannot create PDU's channels: ${(err as Error).message}`);
      }
    } else prepared = ch.prepareInWorker({ channel: channel() });
    ch.stripeCount = pcs.length;
    return ch.start(prepared, () => options.role ?? factory.roleOf(first), { lanes: pcs.length, datagramSize: datagramSizeOf(stacks) });
  }

  /**
   * `stripes`: PDU's channel and the control channel on the first connection now (before its
   * offer), then, once that connection is up, the extra connections negotiated over the control
   * channel, each with PDU's channel made before its offer; then one striped session over all.
   */
  private static async openStriped(
    pcs: unknown[],
    factory: PeerChannelFactory,
    init: { label: string; id: number; highWaterBytes?: number },
    options: PduChannelOptions,
    stripes: Required<StripeOptions>,
  ): Promise<PduChannel> {
    if (pcs.length !== 1) throw new PduChannelError('invalid-argument', 'PduChannel.open: stripes takes one peer connection (PDU makes the others)');
    if (!Number.isInteger(stripes.count) || stripes.count < 1 || stripes.count > MAX_STRIPES) {
      throw new PduChannelError('invalid-argument', `PduChannel.open: stripes.count must be an integer in 1..${MAX_STRIPES}`);
    }
    if (typeof stripes.createPeer !== 'function') throw new PduChannelError('invalid-argument', 'PduChannel.open: stripes.createPeer must be a function (this stack cannot make one itself)');
    if (!factory.openControl) throw new PduChannelError('invalid-argument', 'PduChannel.open: this stack cannot stripe in band; open over several negotiated peer connections');
    if (init.id + 1 > 65_534) throw new PduChannelError('invalid-argument', 'PduChannel.open: with stripes, channelId + 1 must be a valid channel id too');
    const first = pcs[0];
    const role = () => options.role ?? factory.roleOf(first);
    const channels: DatagramChannel[] = [];
    let control: ControlChannel;
    let firstMovable: TransferableChannel | undefined;
    try {
      control = factory.openControl(first, { label: `${init.label}-stripes`, id: init.id + 1 });
      try {
        if (options.worker !== false && factory.openTransferable) firstMovable = factory.openTransferable(first, init);
        else channels.push(factory.open(first, init));
      } catch (err) {
        control.close();
        throw err;
      }
    } catch (err) {
      // E.g. an id the application's own channels already use.
      throw new PduChannelError('invalid-argument', `PduChannel.open: cannot create PDU's channels: ${(err as Error).message}`);
    }
    const ch = new PduChannel(options);
    // In a worker, where the platform lets channels move, each stripe moves there in the task that
    // made it (the only time Chromium allows it); otherwise they stay here and are relayed.
    let moved: StripedPreparedSession | undefined;
    if (firstMovable) {
      try {
        moved = ch.prepareStripesInWorker(firstMovable);
      } catch (err) {
        control.close();
        firstMovable.adaptHere().close();
        throw err;
      }
      if (!moved) channels.push(firstMovable.adaptHere());
    }
    const stacks = [factory];
    const openOn = (pc: unknown) => {
      const stack = peerChannelFactoryFor(pc);
      if (!stack) throw new PduChannelError('invalid-argument', 'PduChannel.open: stripes.createPeer made no peer connection this platform supports');
      if (!moved) channels.push(stack.open(pc, init));
      else if (stack.openTransferable) moved.addStripe(stack.openTransferable(pc, init));
      else throw new PduChannelError('invalid-argument', 'PduChannel.open: stripes.createPeer made a peer connection whose channels cannot join the others in the worker');
      stacks.push(stack);
    };
    // One deadline for the stripes' setup and the handshake after it.
    const timeoutMs = options.openTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    let negotiated: NegotiatedStripes | undefined;
    try {
      negotiated = await negotiateStripes(control, role, stripes, openOn, timeoutMs);
      ch.ownedPeers = negotiated.peers;
      ch.stripeSignalsDropped = negotiated.dropped;
      let prepared: PreparedSession;
      if (moved) {
        moved.sealStripes();
        prepared = moved;
      } else {
        const channel = channels.length === 1 ? channels[0]! : new StripedChannel(channels);
        prepared = options.worker !== false ? ch.prepareInWorker({ channel }) : inlineSession(channel, ch.callbacks());
      }
      ch.stripeCount = stacks.length;
      return await ch.start(prepared, role, { timeoutMs: Math.max(1, deadline - Date.now()), lanes: stacks.length, datagramSize: datagramSizeOf(stacks) });
    } catch (err) {
      for (const c of channels) c.close();
      moved?.abandon();
      closePeers(ch.ownedPeers);
      throw err instanceof PduChannelError ? err : new PduChannelError('handshake-failed', (err as Error).message);
    } finally {
      // Once every connection is up the control channel has nothing left to carry.
      negotiated?.release();
      control.close();
    }
  }

  /** Runs PDU over a DatagramChannel of any stack that has an adapter. */
  static async overChannel(channel: DatagramChannel, options: PduChannelOptions & { role: 'initiator' | 'responder' }): Promise<PduChannel> {
    const ch = new PduChannel(options);
    const prepared = options.worker === false ? inlineSession(channel, ch.callbacks()) : ch.prepareInWorker({ channel });
    ch.stripeCount = channel.laneLoads?.()?.length || 1;
    return ch.start(prepared, () => options.role, { lanes: ch.stripeCount });
  }

  private callbacks() {
    return { onEvent: (e: PduEvent) => this.onEngineEvent(e), onFailure: (reason: string) => this.fail('worker-failed', reason) };
  }

  private prepareInWorker(source: { transferable: TransferableChannel } | { channel: DatagramChannel }): PreparedSession {
    const o = this.options;
    const highWaterBytes = o.highWaterBytes ?? ('channel' in source ? source.channel.highWaterBytes : DEFAULT_MOVED_HIGH_WATER);
    return workerSession(o.host ?? PduHost.default(), source, sessionMemoryBytes(o), highWaterBytes, o.core ?? 'wasm', this.callbacks());
  }

  /**
   * The engine in a worker, over stripes that move there one by one (`first` now, in the task
   * that created it); undefined when the platform refuses the move, and the stripes are relayed.
   */
  private prepareStripesInWorker(first: TransferableChannel): StripedPreparedSession | undefined {
    const o = this.options;
    try {
      return workerSession(o.host ?? PduHost.default(), { stripes: first }, sessionMemoryBytes(o), o.highWaterBytes ?? DEFAULT_MOVED_HIGH_WATER, o.core ?? 'wasm', this.callbacks());
    } catch (err) {
      if (err instanceof TransferRefused) return undefined;
      throw err;
    }
  }

  /**
   * Waits for the channel, learns the role, starts the engine and waits for the handshake. A
   * channel of several `lanes` (stripes) gets the engine defaults of withLaneDefaults.
   * `datagramSize`: the stacks' own (PeerChannelFactory), unless the caller set maxDatagramSize.
   */
  private async start(
    prepared: PreparedSession,
    role: () => 'initiator' | 'responder' | undefined,
    { timeoutMs = this.options.openTimeoutMs ?? 15_000, lanes, datagramSize }: { timeoutMs?: number; lanes: number; datagramSize?: number },
  ): Promise<PduChannel> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PduChannelError('handshake-failed', `no open channel and PDU handshake within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([prepared.channelOpen, timeout]);
      const side = role();
      if (!side) throw new PduChannelError('invalid-argument', 'PduChannel: role unknown (no local description); pass options.role');
      const ready = new Promise<string>((resolve, reject) => {
        this.connected = resolve;
        this.connectFailed = reject;
      });
      // What is left after the channel's own options is the engine's config.
      const { worker, host, label, channelId, highWaterBytes, bundleBytes, backpressureTimeoutMs, openTimeoutMs, statsIntervalMs, role: _role, core, stripes, ...engineOptions } = this.options;
      // Inline, this thread loads the core; a worker has loaded its own.
      const inlineCore = worker === false && core !== 'reference' ? { core: await sharedCore() } : {};
      const size = engineOptions.maxDatagramSize ?? datagramSize;
      this.backend = prepared.start({ ...withLaneDefaults(engineOptions, lanes), ...(size ? { maxDatagramSize: size } : {}), ...inlineCore, role: side } as PduEngineOptions, {
        bundleBytes: bundleBytes ?? DEFAULT_BUNDLE_BYTES,
      });
      this.sasValue = await Promise.race([ready, timeout]);
    } catch (err) {
      if (this.backend) this.finish((err as Error).message, err instanceof PduChannelError ? err.code : 'handshake-failed');
      else prepared.abandon();
      throw err instanceof PduChannelError ? err : new PduChannelError('handshake-failed', (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
    this.transferred = prepared.transferred;
    const interval = this.options.statsIntervalMs ?? 1000;
    if (interval > 0) this.statsTimer = setInterval(() => void this.backend.stats().then((s) => this.emit('stats', s)), interval);
    return this;
  }

  /** Short authentication string: both users compare it to rule out a man in the middle. */
  get sas(): string {
    return this.sasValue;
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  on<K extends keyof PduChannelEvents>(type: K, handler: Handler<K>): () => void {
    this.handlers[type].add(handler);
    // Messages that arrived before anyone listened (open() resolves before the caller subscribes).
    if (type === 'message') for (const early of this.unheard.splice(0)) (handler as Handler<'message'>)(early);
    return () => this.handlers[type].delete(handler);
  }

  /**
   * Sends one message; resolves with its UUID when the peer has all of it. A Uint8Array that spans
   * its whole buffer is transferred to the worker (the caller's view becomes empty).
   */
  async send(data: Uint8Array | ArrayBuffer | string, opts?: ChannelSendOptions): Promise<string> {
    if (this.closedReason !== undefined) throw new PduChannelError('closed', `channel closed: ${this.closedReason}`);
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    const deadline = Date.now() + (this.options.backpressureTimeoutMs ?? 30_000);
    for (;;) {
      let id: string;
      try {
        id = await this.backend.send(bytes, opts);
      } catch (err) {
        if (err instanceof PduError && err.code === 'backpressure') {
          await this.roomOrTimeout(deadline);
          continue;
        }
        throw this.translate(err);
      }
      return new Promise<string>((resolve, reject) => {
        this.inFlight.set(id, { resolve: () => resolve(id), reject });
      });
    }
  }

  stats(): Promise<EngineStats> {
    return this.backend.stats();
  }

  /**
   * The engine's per-fragment trace as JSON Lines: empty unless the channel was opened with
   * `trace: { maxEvents }` > 0. It is what `pdu train --jsonl` reads.
   */
  exportTrace(): Promise<string> {
    return this.backend.exportTrace();
  }

  /**
   * A testing and demo tool: impairs what this side sends (loss, delay, jitter, rate cap) between
   * the engine and the data channel, wherever the engine runs, so PDU meets loss on a clean path.
   * Each call replaces the previous impairment; null turns it off. Not for production traffic.
   */
  impair(config: ImpairmentConfig | null): void {
    this.backend.impair(config);
  }

  /** Closes gracefully: every pending send settles (delivered, or rejected as closed). */
  async close(): Promise<void> {
    if (this.closedReason !== undefined) return;
    const closed = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    this.backend.close();
    const timer = setTimeout(() => this.finish('closed locally'), 2000);
    await closed;
    clearTimeout(timer);
  }

  private roomOrTimeout(deadline: number): Promise<void> {
    const wait = deadline - Date.now();
    if (wait <= 0) return Promise.reject(new PduChannelError('backpressure-timeout', 'send buffer stayed full'));
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waitingForRoom.indexOf(wake);
        if (i >= 0) this.waitingForRoom.splice(i, 1);
        reject(new PduChannelError('backpressure-timeout', 'send buffer stayed full'));
      }, wait);
      const wake = () => {
        clearTimeout(timer);
        resolve();
      };
      this.waitingForRoom.push(wake);
    });
  }

  private onEngineEvent(event: PduEvent): void {
    switch (event.type) {
      case 'connected':
        this.connected(event.sas);
        break;
      case 'message':
        if (this.handlers.message.size > 0) this.emit('message', { id: event.id, data: event.data });
        else if (this.unheard.length < PduChannel.MAX_UNHEARD) this.unheard.push({ id: event.id, data: event.data });
        else this.unheardDropped++;
        break;
      case 'delivered':
        this.inFlight.get(event.id)?.resolve();
        this.inFlight.delete(event.id);
        this.wakeOne();
        break;
      case 'expired':
        if (event.direction === 'outgoing') {
          this.inFlight.get(event.id)?.reject(new PduChannelError(event.reason === 'closed' ? 'closed' : 'expired', `message ${event.id} ${event.reason}`));
          this.inFlight.delete(event.id);
          this.wakeOne();
        }
        break;
      case 'congestion':
        this.emit('congestion', event.report);
        break;
      case 'error':
        if (event.code === 'handshake_failed' || event.code === 'handshake-failed') this.fail('handshake-failed', event.message);
        else this.emit('error', new PduChannelError('invalid-argument', `${event.code}: ${event.message}`));
        break;
      case 'closed':
        this.finish(event.reason);
        break;
    }
  }

  private wakeOne(): void {
    this.waitingForRoom.shift()?.();
  }

  private fail(code: PduChannelErrorCode, reason: string): void {
    if (this.closedReason !== undefined) return;
    const err = new PduChannelError(code, reason);
    this.connectFailed?.(err);
    if (this.handlers.error.size > 0) this.emit('error', err);
    this.finish(reason, code);
  }

  private finish(reason: string, code: PduChannelErrorCode = 'closed'): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    if (this.statsTimer !== undefined) clearInterval(this.statsTimer);
    this.connectFailed?.(new PduChannelError(code, reason));
    for (const { reject } of this.inFlight.values()) reject(new PduChannelError(code, `channel closed: ${reason}`));
    this.inFlight.clear();
    for (const wake of this.waitingForRoom.splice(0)) wake();
    this.backend?.dispose();
    closePeers(this.ownedPeers);
    this.emit('close', { reason });
    for (const w of this.closeWaiters.splice(0)) w();
  }

  private translate(err: unknown): PduChannelError {
    if (err instanceof PduChannelError) return err;
    if (err instanceof PduError) {
      const code: PduChannelErrorCode = err.code === 'too-large' ? 'too-large' : err.code === 'closed' ? 'closed' : 'invalid-argument';
      return new PduChannelError(code, err.message);
    }
    return new PduChannelError('invalid-argument', (err as Error).message);
  }

  private emit<K extends keyof PduChannelEvents>(type: K, event: PduChannelEvents[K]): void {
    for (const handler of this.handlers[type]) handler(event);
  }
}

/**
 * The engine options for a channel of `lanes` stripes. Over several, unless the caller chose:
 * a message's resends go twice where a second round is likely (`duplicateRetransmissions:
 * 'auto'`: the tail under loss is what one stripes for, and it costs about the loss rate in wire
 * bytes, BENCHMARKS.md), and an ACK the sender asked for waits for what trails on other stripes
 * (`ack.askedAckDelayRtt`, STRIPED_ASKED_ACK_DELAY_RTT).
 */
export function withLaneDefaults<T extends Pick<PduEngineOptions, 'recovery' | 'ack'>>(options: T, lanes: number): T & Pick<PduEngineOptions, 'recovery' | 'ack'> {
  if (lanes <= 1) return options;
  return {
    ...options,
    recovery: { duplicateRetransmissions: 'auto', ...options.recovery },
    ack: { askedAckDelayRtt: STRIPED_ASKED_ACK_DELAY_RTT, ...options.ack },
  };
}

let wasmCore: Promise<PduCore> | undefined;

/** The WebAssembly core for inline engines, loaded once; the reference where it cannot load. */
function sharedCore(): Promise<PduCore> {
  wasmCore ??= loadWasmCore().catch(() => referenceCore);
  return wasmCore;
}

/** The datagram size every one of these stacks sends as one chunk; undefined: the engine's default. */
function datagramSizeOf(stacks: readonly PeerChannelFactory[]): number | undefined {
  const sizes = stacks.map((f) => f.datagramSize);
  return sizes.every((s) => s !== undefined) ? Math.min(...(sizes as number[])) : undefined;
}
