// Runs inside the Chromium page of bench/browser.ts (loaded through the Vite dev server).
import { PduChannel } from '../src/index.js';

const MIB = 1024 * 1024;

async function connectedPair(): Promise<[RTCPeerConnection, RTCPeerConnection]> {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  return [a, b];
}

async function negotiate(a: RTCPeerConnection, b: RTCPeerConnection): Promise<void> {
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription!);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription!);
}

/** What a competent user writes (CONTRACTS.md): reliable ordered, 64 KiB pieces, at most 1 MiB buffered. */
export async function rawTransfer(totalMiB: number): Promise<number> {
  const [a, b] = await connectedPair();
  const tx = a.createDataChannel('raw', { negotiated: true, id: 7 });
  const rx = b.createDataChannel('raw', { negotiated: true, id: 7 });
  rx.binaryType = 'arraybuffer';
  await negotiate(a, b);
  await Promise.all([tx, rx].map((ch) => (ch.readyState === 'open' ? null : new Promise((r) => (ch.onopen = r)))));
  const piece = 64 * 1024;
  const total = totalMiB * MIB;
  let received = 0;
  const done = new Promise<void>((resolve) => {
    rx.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      received += e.data.byteLength;
      if (received >= total) resolve();
    };
  });
  tx.bufferedAmountLowThreshold = MIB / 2;
  const start = performance.now();
  for (let m = 0; m < totalMiB; m++) {
    const message = new Uint8Array(MIB);
    for (let off = 0; off < MIB; off += piece) {
      while (tx.bufferedAmount > MIB) await new Promise((r) => tx.addEventListener('bufferedamountlow', r, { once: true }));
      tx.send(message.subarray(off, off + piece));
    }
  }
  await done;
  const ms = performance.now() - start;
  a.close();
  b.close();
  return ms;
}

/** The same bytes as 1 MiB PDU messages through PduChannel, engine in a worker or inline. */
export async function pduTransfer(totalMiB: number, worker: boolean): Promise<number> {
  const [pa, pb] = await connectedPair();
  const opening = [PduChannel.open(pa, { role: 'initiator', worker }), PduChannel.open(pb, { role: 'responder', worker })];
  await negotiate(pa, pb);
  const [a, b] = (await Promise.all(opening)) as [PduChannel, PduChannel];
  let received = 0;
  const done = new Promise<void>((resolve) =>
    b.on('message', ({ data }) => {
      received += data.byteLength;
      if (received >= totalMiB * MIB) resolve();
    }),
  );
  const start = performance.now();
  let next = 0;
  const sender = async () => {
    while (next < totalMiB) {
      next++;
      await a.send(new Uint8Array(MIB));
    }
  };
  await Promise.all(Array.from({ length: 8 }, sender));
  await done;
  const ms = performance.now() - start;
  const stats = await a.stats();
  (globalThis as Record<string, unknown>).pduLastStats = {
    retx: stats.recovery.retransmissions,
    nacks: [stats.recovery.nacksSent, stats.recovery.nacksReceived, stats.recovery.nacksIgnored],
    rtt: stats.rtt,
    cc: { ...stats.congestion, report: stats.congestion.report },
    traffic: stats.traffic,
    core: stats.core,
  };
  await Promise.all([a.close(), b.close()]);
  pa.close();
  pb.close();
  return ms;
}

(globalThis as Record<string, unknown>).pduBench = { rawTransfer, pduTransfer };
