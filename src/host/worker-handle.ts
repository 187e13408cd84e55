import type { HostToWorker, WorkerToHost } from '../../worker/protocol.js';

/** A PDU worker as the host sees it, whatever runs it (a Web Worker or a worker_threads Worker). */
export interface WorkerHandle {
  post(message: HostToWorker, transfer?: Transferable[]): void;
  onMessage(handler: (message: WorkerToHost) => void): void;
  /** Fires once when the worker is gone: an uncaught error, an exit, or an unanswered heartbeat. */
  onFailure(handler: (reason: string) => void): void;
  terminate(): void;
}

export type WorkerFactory = () => WorkerHandle;

/** The part of the DOM Worker API used here. */
export interface DomWorkerLike {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'error' | 'messageerror', listener: (event: { message?: string }) => void): void;
  terminate(): void;
}

/**
 * Wraps a browser Worker. A terminated or hung worker fires no event, so liveness comes from a
 * heartbeat: a `core-info` request every `heartbeatMs`; `missedBeats` unanswered ones in a row
 * mean the worker is gone.
 */
export function wrapDomWorker(worker: DomWorkerLike, options: { heartbeatMs?: number; missedBeats?: number } = {}): WorkerHandle {
  const heartbeatMs = options.heartbeatMs ?? 1000;
  const missedBeats = options.missedBeats ?? 3;
  const failureHandlers: Array<(reason: string) => void> = [];
  let failed = false;
  let outstanding = 0;
  let beatId = -1;
  const fail = (reason: string) => {
    if (failed) return;
    failed = true;
    clearInterval(heartbeat);
    worker.terminate();
    for (const h of failureHandlers) h(reason);
  };
  const heartbeat = setInterval(() => {
    if (++outstanding > missedBeats) return fail(`worker stopped answering (${missedBeats} heartbeats of ${heartbeatMs} ms missed)`);
    worker.postMessage({ type: 'core-info', id: beatId-- } satisfies HostToWorker, []);
  }, heartbeatMs);
  worker.addEventListener('message', (event) => {
    outstanding = 0;
    void event;
  });
  worker.addEventListener('error', (event) => fail(`worker error: ${event.message ?? 'unknown'}`));
  worker.addEventListener('messageerror', () => fail('worker sent a message that could not be deserialized'));
  return {
    post: (message, transfer = []) => worker.postMessage(message, transfer),
    onMessage(handler) {
      worker.addEventListener('message', (event) => {
        const message = event.data as WorkerToHost;
        // Heartbeat answers carry negative ids; nobody else asked for them.
        if (message.type === 'core-info' && message.id < 0) return;
        handler(message);
      });
    },
    onFailure: (handler) => failureHandlers.push(handler),
    terminate() {
      failed = true;
      clearInterval(heartbeat);
      worker.terminate();
    },
  };
}
