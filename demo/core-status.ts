// Shows which core (WebAssembly or the TypeScript reference) the PDU worker runs on, from a worker
// of its own, and exposes a round trip through it for the browser tests (tests/e2e/smoke.spec.ts).
import type { HostToWorker, WorkerToHost } from '../worker/protocol.js';

export async function showCoreStatus(status: HTMLOutputElement): Promise<void> {
  const worker = new Worker(new URL('../worker/pdu-worker.ts', import.meta.url), { type: 'module' });

  const ask = (request: Extract<HostToWorker, { id: number }>, transfer: Transferable[] = []): Promise<WorkerToHost> =>
    new Promise((resolve) => {
      const onReply = (event: MessageEvent<WorkerToHost>) => {
        if (!('id' in event.data) || event.data.id !== request.id) return;
        worker.removeEventListener('message', onReply);
        resolve(event.data);
      };
      worker.addEventListener('message', onReply);
      worker.postMessage(request, transfer);
    });

  (globalThis as { pduWorkerXor?: unknown }).pduWorkerXor = async (dst: Uint8Array, src: Uint8Array) => {
    const reply = await ask({ type: 'core-selftest', id: 2 + Math.floor(Math.random() * 1e9), dst, src }, [dst.buffer, src.buffer]);
    return reply.type === 'core-selftest' ? Array.from(reply.result) : undefined;
  };

  const info = await ask({ type: 'core-info', id: 1 });
  if (info.type === 'core-info') {
    status.textContent = info.fallbackReason ? `reference (${info.fallbackReason})` : info.kind;
    status.dataset.kind = info.kind;
  }
}
