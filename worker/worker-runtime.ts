import type { PduCore } from '../src/core/index.js';
import { PduEngine, PduError, type EngineStats, type PduEvent, type SendOptions } from '../src/engine/index.js';
import { EngineDriver, bundleLossSignal } from '../src/host/engine-driver.js';
import type { CongestionSample } from '../src/congestion/congestion-report.js';
import { adaptW3cDataChannel, type DatagramChannel, type W3cDataChannelLike } from '../src/transport/datachannel.js';
import { ImpairedChannel } from '../src/transport/impaired-channel.js';
import { StripedChannel } from '../src/transport/striped-channel.js';
import { MAX_LANES } from '../src/recovery/sent-packet-tracker.js';
import type { HostToWorker, MessagePortLike, SendReply, WorkerToHost } from './protocol.js';
import { RelayedChannel } from './relayed-channel.js';

type Output = Extract<WorkerToHost, { type: 'output' }>;

interface Session {
  driver: EngineDriver<PduEvent, SendOptions, EngineStats>;
  relay: RelayedChannel | undefined;
  /** Between the engine and the channel; passes datagrams straight through until impaired. */
  impaired: ImpairedChannel;
  output: Output;
  flushScheduled: boolean;
}

/** A channel moved into this worker, waiting for its session to start. */
interface AttachedChannel {
  channel: DatagramChannel;
  /** getStats() lives with the peer connection on the host: its samples are merged in. */
  hostSample: CongestionSample;
}

/**
 * The worker side of PDU: one engine per session, each driven by an EngineDriver with the
 * worker's own timers. Output of one task is batched into one message per session.
 */
export class WorkerRuntime {
  private readonly sessions = new Map<number, Session>();
  private readonly attached = new Map<number, AttachedChannel>();
  /** Stripes moved into this worker, waiting for `stripes-attached`. */
  private readonly stripes = new Map<number, DatagramChannel[]>();

  /** The loaded core; until it is there, messages wait in `backlog`, in order. */
  private loaded: { core: PduCore; fallbackReason?: string } | undefined;
  private backlog: HostToWorker[] = [];

  constructor(
    private readonly port: MessagePortLike<HostToWorker, WorkerToHost>,
    core: Promise<{ core: PduCore; fallbackReason?: string }>,
  ) {
    port.onMessage((message) => {
      if (this.loaded) this.dispatch(message);
      else this.backlog.push(message);
    });
    void core.then((loaded) => {
      this.loaded = loaded;
      for (const message of this.backlog.splice(0)) this.dispatch(message);
    });
  }

  private dispatch(message: HostToWorker): void {
    try {
      this.handle(message);
    } catch (err) {
      if ('session' in message) {
        this.port.post({ type: 'session-error', session: message.session, message: (err as Error).message }, []);
      }
    }
  }

  private handle(message: HostToWorker): void {
    switch (message.type) {
      case 'core-info': {
        const { core, fallbackReason } = this.loaded!;
        this.port.post({ type: 'core-info', id: message.id, kind: core.kind, fallbackReason }, []);
        return;
      }
      case 'core-selftest':
        this.loaded!.core.xorInto(message.dst, message.src);
        this.port.post({ type: 'core-selftest', id: message.id, result: message.dst }, [message.dst.buffer as ArrayBuffer]);
        return;
      case 'attach-channel':
        this.attach(message);
        return;
      case 'stripes-attached':
        this.joinStripes(message);
        return;
      case 'open':
        this.open(message);
        return;
      case 'dispose':
        this.dispose(message.session);
        return;
    }
    const session = this.sessions.get(message.session);
    if (!session) return;
    switch (message.type) {
      case 'send': {
        let reply: SendReply;
        try {
          reply = { ticket: message.ticket, id: session.driver.send(message.data, message.opts) };
        } catch (err) {
          const code = err instanceof PduError ? err.code : 'invalid-argument';
          reply = { ticket: message.ticket, error: { code, message: (err as Error).message } };
        }
        session.output.sendReplies.push(reply);
        this.scheduleFlush(message.session, session);
        return;
      }
      case 'datagrams':
        session.relay?.receive(message.datagrams);
        return;
      case 'channel-state':
        session.relay?.updateState(message.open, message.queuedBytes, message.highWaterBytes, message.lanes);
        return;
      case 'sample': {
        session.relay?.updateSample(message.sample);
        const attached = this.attached.get(message.session);
        if (attached) attached.hostSample = message.sample;
        return;
      }
      case 'stats':
        session.output.statsReplies.push({ ticket: message.ticket, stats: session.driver.engine.stats() });
        this.scheduleFlush(message.session, session);
        return;
      case 'trace':
        session.output.traceReplies.push({ ticket: message.ticket, jsonl: session.driver.engine.exportTrace() });
        this.scheduleFlush(message.session, session);
        return;
      case 'impair':
        session.impaired.impair(message.config);
        return;
      case 'close':
        session.driver.act((engine, now) => engine.close(now));
        return;
    }
  }

  /** Stops a session's driver (its timers, sampler and wake ports) and forgets it and its channel. */
  private dispose(id: number): void {
    const session = this.sessions.get(id);
    session?.driver.stop();
    this.sessions.delete(id);
    const attached = this.attached.get(id);
    this.attached.delete(id);
    // A channel that never got a session (abandoned before open) is closed, as the inline path's
    // abandon does; a session's channel is left as the inline path leaves it.
    if (attached && !session) attached.channel.close();
    for (const stripe of this.stripes.get(id) ?? []) stripe?.close();
    this.stripes.delete(id);
  }

  private attach(message: Extract<HostToWorker, { type: 'attach-channel' }>): void {
    const channel = adaptW3cDataChannel(message.channel as W3cDataChannelLike, { highWaterBytes: message.highWaterBytes });
    const { session, stripe } = message;
    if (stripe === undefined) return this.adopt(session, channel);
    const stripes = this.stripes.get(session) ?? [];
    if (!Number.isInteger(stripe) || stripe < 0 || stripe >= MAX_LANES || stripes[stripe] !== undefined) {
      channel.close();
      throw new Error(`attach-channel: stripe ${stripe} out of range or already attached`);
    }
    stripes[stripe] = channel;
    this.stripes.set(session, stripes);
  }

  private joinStripes({ session, count }: Extract<HostToWorker, { type: 'stripes-attached' }>): void {
    const stripes = this.stripes.get(session) ?? [];
    this.stripes.delete(session);
    const complete = stripes.length === count && Array.from(stripes).every((s) => s !== undefined);
    if (!complete) {
      for (const s of stripes) s?.close();
      throw new Error(`stripes-attached: ${count} stripes announced, ${stripes.filter((s) => s !== undefined).length} attached`);
    }
    this.adopt(session, new StripedChannel(stripes));
  }

  /** The session's channel, moved here: its samples merge in the host's getStats figures. */
  private adopt(session: number, channel: DatagramChannel): void {
    const attached: AttachedChannel = { channel, hostSample: {} };
    const local = channel.sample.bind(channel);
    channel.sample = async () => ({ ...attached.hostSample, ...(await local()) });
    this.attached.set(session, attached);
    channel.whenOpen().then(
      () => this.port.post({ type: 'channel-open', session }, []),
      (err: Error) => this.port.post({ type: 'session-error', session, message: err.message }, []),
    );
  }

  private open(message: Extract<HostToWorker, { type: 'open' }>): void {
    const id = message.session;
    let session!: Session;
    const attached = this.attached.get(id);
    const relay = attached ? undefined : new RelayedChannel(message.highWaterBytes, () => this.scheduleFlush(id, session));
    const impaired = new ImpairedChannel(attached?.channel ?? relay!);
    const engine = new PduEngine(message.core === 'wasm' ? { ...message.options, core: this.loaded!.core } : message.options);
    const driver = new EngineDriver<PduEvent, SendOptions, EngineStats>(engine, impaired, {
      bundleBytes: message.transport?.bundleBytes,
      lossRate: bundleLossSignal(engine),
      onEvent: (event) => {
        session.output.events.push(event);
        this.scheduleFlush(id, session);
        // After the flush already queued for this event: stop the driver's timers and sampler.
        if (event.type === 'closed') queueMicrotask(() => this.dispose(id));
      },
    });
    session = { driver, relay, impaired, output: emptyOutput(id), flushScheduled: false };
    this.sessions.set(id, session);
    driver.start();
  }

  /** Posts everything the current task produced for a session, once, at the end of the task. */
  private scheduleFlush(id: number, session: Session): void {
    if (session.flushScheduled) return;
    session.flushScheduled = true;
    queueMicrotask(() => {
      session.flushScheduled = false;
      const output = session.output;
      const relayed = session.relay?.takeOutgoing();
      if (relayed) {
        output.datagrams = relayed.datagrams;
        if (relayed.lanes) output.lanes = relayed.lanes;
      }
      session.output = emptyOutput(id);
      const transfer: ArrayBuffer[] = [];
      for (const d of output.datagrams) addTransferable(transfer, d);
      for (const e of output.events) if (e.type === 'message') addTransferable(transfer, e.data);
      this.port.post(output, transfer);
    });
  }
}

function emptyOutput(session: number): Output {
  return { type: 'output', session, events: [], datagrams: [], sendReplies: [], statsReplies: [], traceReplies: [] };
}

/**
 * Transfers a view's buffer only when the view is the whole buffer: detaching a larger buffer
 * would pull memory out from under whoever shares it. Partial views are copied by postMessage.
 */
function addTransferable(list: ArrayBuffer[], view: Uint8Array): void {
  const buffer = view.buffer as ArrayBuffer;
  if (view.byteOffset === 0 && view.byteLength === buffer.byteLength && !list.includes(buffer)) list.push(buffer);
}
