// Demo entry. For now it starts the PDU worker and shows which core it runs on; the two-peer
// demo builds on this page.
import type { WorkerReply, WorkerRequest } from '../worker/protocol.js';

const status = document.querySelector<HTMLOutputElement>('#core-status')!;
const worker = new Worker(new URL('../worker/pdu-worker.ts', import.meta.url), { type: 'module' });

function ask(request: WorkerRequest, transfer: Transferable[] = []): Promise<WorkerReply> {
  return new Promise((resolve) => {
    const onReply = (event: MessageEvent<WorkerReply>) => {
      if (event.data.id !== request.id) return;
      worker.removeEventListener('message', onReply);
      resolve(event.data);
    };
    worker.addEventListener('message', onReply);
    worker.postMessage(request, transfer);
  });
}

const info = await ask({ type: 'core-info', id: 1 });
if (info.type === 'core-info') {
  status.textContent = info.fallbackReason ? `reference (${info.fallbackReason})` : info.kind;
  status.dataset.kind = info.kind;
}
// Expose the worker round trip for the browser tests.
(globalThis as { pduWorkerXor?: unknown }).pduWorkerXor = async (dst: Uint8Array, src: Uint8Array) => {
  const reply = await ask({ type: 'xor', id: 2 + Math.floor(Math.random() * 1e9), dst, src }, [dst.buffer, src.buffer]);
  return reply.type === 'xor' ? Array.from(reply.result) : undefined;
};
