import type { HostToWorker, WorkerToHost } from '../../worker/protocol.js';
import type { WorkerFactory, WorkerHandle } from './worker-handle.js';

export interface PduHostOptions {
  /** Creates one worker. Browsers and Node have defaults (see the package's platform entry). */
  createWorker?: WorkerFactory;
  /**
   * Workers to spread sessions over: one per core up to 4 by default. They start lazily, one per
   * session until the limit, so a page with a single channel runs a single worker.
   */
  maxWorkers?: number;
  /** Memory all sessions together may reserve, bytes (default 512 MiB). */
  memoryBudgetBytes?: number;
}

/** A session's view of the worker that runs it. */
export interface HostedSessionPort {
  readonly session: number;
  post(message: HostToWorker, transfer?: Transferable[]): void;
  /** Frees the session's slot and memory reservation. */
  release(): void;
}

export interface SessionListener {
  onOutput(message: Extract<WorkerToHost, { type: 'output' }>): void;
  /** A channel moved into the worker has opened. */
  onChannelOpen(): void;
  onSessionError(message: string): void;
  /** The worker died: the session cannot continue. */
  onWorkerFailure(reason: string): void;
}

export class PduHostError extends Error {
  override readonly name = 'PduHostError';
  constructor(
    readonly code: 'budget' | 'no-worker',
    message: string,
  ) {
    super(message);
  }
}

interface WorkerSlot {
  handle: WorkerHandle;
  sessions: Map<number, SessionListener>;
  dead: boolean;
}

let defaultFactory: WorkerFactory | undefined;

function defaultWorkerCount(): number {
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 2;
  return Math.max(1, Math.min(4, cores));
}

/** Set by the platform entry (browser or Node) so that `new PduHost()` works without options. */
export function setDefaultWorkerFactory(factory: WorkerFactory): void {
  defaultFactory = factory;
}

/**
 * The host driver: owns the PDU workers, spreads sessions over them, holds one memory budget for
 * all sessions, and when a worker dies fails its sessions with a clear error and starts a fresh
 * worker for the next sessions.
 */
export class PduHost {
  private static shared: PduHost | undefined;
  private readonly workers: WorkerSlot[] = [];
  private readonly reservations = new Map<number, number>();
  private nextSession = 1;
  private readonly createWorker: WorkerFactory;
  readonly maxWorkers: number;
  readonly memoryBudgetBytes: number;

  constructor(options: PduHostOptions = {}) {
    const factory = options.createWorker ?? defaultFactory;
    if (!factory) throw new PduHostError('no-worker', 'no worker factory: import packet-dynamics (browser) or run in Node, or pass createWorker');
    this.createWorker = factory;
    this.maxWorkers = options.maxWorkers ?? defaultWorkerCount();
    this.memoryBudgetBytes = options.memoryBudgetBytes ?? 512 * 1024 * 1024;
  }

  /** The host sessions share when the application does not make its own. */
  static default(): PduHost {
    PduHost.shared ??= new PduHost();
    return PduHost.shared;
  }

  get reservedBytes(): number {
    let sum = 0;
    for (const bytes of this.reservations.values()) sum += bytes;
    return sum;
  }

  get stats(): { workers: number; sessions: number; reservedBytes: number; memoryBudgetBytes: number } {
    return {
      workers: this.workers.length,
      sessions: this.reservations.size,
      reservedBytes: this.reservedBytes,
      memoryBudgetBytes: this.memoryBudgetBytes,
    };
  }

  /** Reserves `memoryBytes` of the budget and places a session on the least loaded live worker. */
  attach(memoryBytes: number, listener: SessionListener): HostedSessionPort {
    if (this.reservedBytes + memoryBytes > this.memoryBudgetBytes) {
      throw new PduHostError(
        'budget',
        `session needs ${memoryBytes} B; ${this.memoryBudgetBytes - this.reservedBytes} B of the host's ${this.memoryBudgetBytes} B budget are left`,
      );
    }
    const slot = this.pickWorker();
    const session = this.nextSession++;
    slot.sessions.set(session, listener);
    this.reservations.set(session, memoryBytes);
    return {
      session,
      post: (message, transfer) => {
        if (!slot.dead) slot.handle.post(message, transfer);
      },
      release: () => {
        if (!slot.sessions.delete(session)) return;
        this.reservations.delete(session);
        if (!slot.dead) slot.handle.post({ type: 'dispose', session }, []);
      },
    };
  }

  /** Stops every worker; their sessions fail. */
  terminate(): void {
    for (const slot of this.workers.splice(0)) this.fail(slot, 'host terminated');
  }

  private pickWorker(): WorkerSlot {
    const live = this.workers.filter((w) => !w.dead);
    if (live.length < this.maxWorkers) return this.spawn();
    return live.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
  }

  private spawn(): WorkerSlot {
    const slot: WorkerSlot = { handle: this.createWorker(), sessions: new Map(), dead: false };
    slot.handle.onMessage((message) => {
      if (message.type === 'output') slot.sessions.get(message.session)?.onOutput(message);
      else if (message.type === 'channel-open') slot.sessions.get(message.session)?.onChannelOpen();
      else if (message.type === 'session-error') slot.sessions.get(message.session)?.onSessionError(message.message);
    });
    slot.handle.onFailure((reason) => this.fail(slot, reason));
    this.workers.push(slot);
    return slot;
  }

  private fail(slot: WorkerSlot, reason: string): void {
    if (slot.dead) return;
    slot.dead = true;
    slot.handle.terminate();
    const index = this.workers.indexOf(slot);
    if (index >= 0) this.workers.splice(index, 1);
    for (const [session, listener] of slot.sessions) {
      this.reservations.delete(session);
      listener.onWorkerFailure(reason);
    }
    slot.sessions.clear();
  }
}
