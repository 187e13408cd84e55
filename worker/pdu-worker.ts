/// <reference lib="webworker" />
// The PDU worker: the engine's home off the main thread. It loads the WebAssembly core once
// and answers the host's requests; the host<->worker protocol lives in worker/protocol.ts.
import { loadWasmCore, referenceCore, type PduCore } from '../src/core/index.js';
import type { WorkerReply, WorkerRequest } from './protocol.js';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const core: Promise<{ core: PduCore; fallbackReason?: string }> = loadWasmCore().then(
  (wasm) => ({ core: wasm }),
  (err: Error) => ({ core: referenceCore, fallbackReason: err.message }),
);

scope.onmessage = async (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  if (request.type === 'core-info') {
    const { core: loaded, fallbackReason } = await core;
    const reply: WorkerReply = { type: 'core-info', id: request.id, kind: loaded.kind, fallbackReason };
    scope.postMessage(reply);
  } else if (request.type === 'xor') {
    const { core: loaded } = await core;
    loaded.xorInto(request.dst, request.src);
    const reply: WorkerReply = { type: 'xor', id: request.id, result: request.dst };
    scope.postMessage(reply, [request.dst.buffer]);
  }
};
