// Runs inside the Chromium page of bench/browser.ts (loaded through the Vite dev server).
import { PduChannel, type PduChannelOptions } from '../src/index.js';

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

/**
 * What a competent user writes (CONTRACTS.md): reliable ordered, 64 KiB pieces, at most 1 MiB
 * buffered. With `datagrams`, the ceiling of the path PDU rides on instead: an unordered channel
 * without retransmissions carrying 1150-byte messages (no recovery: it only measures the cost of
 * small messages below PDU).
 */
export async function rawTransfer(totalMiB: number, datagrams = false): Promise<number> {
  const [a, b] = await connectedPair();
  const init: RTCDataChannelInit = datagrams ? { negotiated: true, id: 7, ordered: false, maxRetransmits: 0 } : { negotiated: true, id: 7 };
  const tx = a.createDataChannel('raw', init);
  const rx = b.createDataChannel('raw', init);
  rx.binaryType = 'arraybuffer';
  await negotiate(a, b);
  await Promise.all([tx, rx].map((ch) => (ch.readyState === 'open' ? null : new Promise((r) => (ch.onopen = r)))));
  const piece = datagrams ? 1150 : 64 * 1024;
  const total = totalMiB * MIB;
  let received = 0;
  let lastArrival = 0;
  const done = new Promise<void>((resolve) => {
    rx.onmessage = (e: MessageEvent<ArrayBuffer>) => {
      received += e.data.byteLength;
      lastArrival = performance.now();
      if (received >= total) resolve();
    };
  });
  tx.bufferedAmountLowThreshold = MIB / 2;
  const start = performance.now();
  for (let m = 0; m < totalMiB; m++) {
    const message = new Uint8Array(MIB);
    for (let off = 0; off < MIB; off += piece) {
      while (tx.bufferedAmount > MIB) await new Promise((r) => tx.addEventListener('bufferedamountlow', r, { once: true }));
      tx.send(message.subarray(off, Math.min(off + piece, MIB)));
    }
  }
  if (datagrams) {
    // Datagrams may be lost: done when nothing has arrived for 300 ms.
    while (received < total && performance.now() - Math.max(lastArrival, start) < 300) await new Promise((r) => setTimeout(r, 50));
  } else {
    await done;
  }
  // Time per byte actually received, scaled to the whole transfer: the caller divides total by it.
  const ms = ((datagrams ? lastArrival : performance.now()) - start) * (total / Math.max(received, 1));
  a.close();
  b.close();
  return ms;
}

/** The same bytes as 1 MiB PDU messages through PduChannel, engine in a worker or inline. */
export async function pduTransfer(totalMiB: number, worker: boolean, options: PduChannelOptions = {}): Promise<number> {
  const [pa, pb] = await connectedPair();
  const opening = [PduChannel.open(pa, { ...options, role: 'initiator', worker }), PduChannel.open(pb, { ...options, role: 'responder', worker })];
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
    reordering: { packetThreshold: stats.recovery.packetThreshold, untrustedLanes: stats.recovery.untrustedLanes },
    transferred: (a as { transferred?: boolean }).transferred,
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
