import { wrapDomWorker, type WorkerFactory } from './worker-handle.js';

/**
 * A dedicated module Worker running worker/pdu-worker. The `new Worker(new URL(...))` form is the
 * one bundlers (Vite, webpack, esbuild) recognise and bundle; the `.js` name resolves to the
 * TypeScript source in development and to the compiled file in the package.
 */
export const browserWorkerFactory: WorkerFactory = () =>
  wrapDomWorker(new Worker(new URL('../../worker/pdu-worker.js', import.meta.url), { type: 'module' }));
