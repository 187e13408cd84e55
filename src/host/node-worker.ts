import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { HostToWorker, WorkerToHost } from '../../worker/protocol.js';
import type { WorkerFactory, WorkerHandle } from './worker-handle.js';

/**
 * worker_threads host of worker/node-worker. From the compiled package it starts the compiled
 * entry; from TypeScript sources (tests, tsx) it starts the .ts entry through tsx's loader.
 */
export const nodeWorkerFactory: WorkerFactory = () => wrapNodeWorker(spawnNodeWorker());

/** Starts the worker thread itself (exported so a test can kill it behind the host's back). */
export function spawnNodeWorker(): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('../../worker/node-worker.js', import.meta.url));
  // Running from TypeScript sources: a worker does not inherit the parent's loader, so a small
  // bootstrap registers tsx in the thread before importing the .ts entry.
  // tsx's CommonJS build of its API cannot load its ESM half from an eval'd worker: use the ESM file.
  const tsxPackage = pathToFileURL(createRequire(import.meta.url).resolve('tsx/package.json'));
  const tsxApi = new URL('./dist/esm/api/index.mjs', tsxPackage).href;
  const entry = new URL('../../worker/node-worker.ts', import.meta.url).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
  return new Worker(bootstrap, { eval: true });
}

export function wrapNodeWorker(worker: Worker): WorkerHandle {
  const failureHandlers: Array<(reason: string) => void> = [];
  let done = false;
  const fail = (reason: string) => {
    if (done) return;
    done = true;
    for (const h of failureHandlers) h(reason);
  };
  worker.on('error', (err: Error) => fail(`worker error: ${err.message}`));
  worker.on('exit', (code) => fail(`worker exited with code ${code}`));
  // An idle worker must not keep the process alive; sessions keep their own handles.
  worker.unref();
  return {
    post: (message: HostToWorker, transfer = []) => worker.postMessage(message, transfer as ArrayBuffer[]),
    onMessage(handler: (message: WorkerToHost) => void) {
      worker.on('message', handler);
      // A 'message' listener re-refs the worker's port: unref again, or the process never exits.
      worker.unref();
    },
    onFailure: (handler) => failureHandlers.push(handler),
    terminate() {
      done = true;
      void worker.terminate();
    },
  };
}
