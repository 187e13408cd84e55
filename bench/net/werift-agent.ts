/**
 * bench:net peer on werift, started inside one namespace of the emulator (NetemTopology.spawnNode).
 * Takes protocol.ts commands on stdin. Every werift peer is made by createWeriftPeer (loopback STUN,
 * the maxRetransmits:0 fix) with a 1 MiB max-message-size, so a plain channel can carry 256 KiB.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import type { RTCDataChannel, RTCPeerConnection } from 'werift';
import { PduChannel } from '../../src/index.node.js';
import { countSctpSends, createWeriftPeer, weriftAssociation } from '../../src/node/werift-peer.js';
import { startSignalingServer, type SignalingServer } from '../../src/signaling/server.js';
import { connectWebSocketSignaling, type WebSocketConstructor } from '../../src/signaling/index.js';
import { serveCommands, write } from './agent-loop.js';
import { BenchPeer, type PeerEnv, type PlainChannel } from './peer-core.js';

let server: SignalingServer | undefined;

/** werift's `bufferedAmount` never goes down: the queue is SCTP's flight plus its outbound queue. */
function weriftQueue(pc: RTCPeerConnection): number {
  const association = weriftAssociation(pc) as (ReturnType<typeof weriftAssociation> & { outboundQueue?: Array<{ userData?: Uint8Array }> }) | undefined;
  if (!association) return 0;
  let queued = association.flightSize;
  for (const chunk of association.outboundQueue ?? []) queued += chunk.userData?.length ?? 0;
  return queued;
}

/**
 * Diagnosis of striping (PDU_SCTP_LOG=<file>): every 10 ms, each live peer's SCTP window, flight
 * and unsent queue, as JSON lines (one file per agent: the side is appended to the name).
 */
const sctpLogFile = process.env.PDU_SCTP_LOG ? `${process.env.PDU_SCTP_LOG}.${process.argv[2] ?? 'x'}.jsonl` : undefined;
const livePeers: RTCPeerConnection[] = [];
if (sctpLogFile) {
  const { appendFileSync } = await import('node:fs');
  setInterval(() => {
    const rows = livePeers.map((pc) => {
      const a = weriftAssociation(pc);
      return a ? [a.cwnd, a.flightSize, weriftQueue(pc) - a.flightSize] : null;
    });
    if (rows.some((r) => r && (r[1]! > 0 || r[2]! > 0))) appendFileSync(sctpLogFile, `${JSON.stringify({ t: Math.round(performance.now()), s: rows })}\n`);
  }, 10).unref();
}

const env: PeerEnv = {
  now: () => performance.timeOrigin + performance.now(),
  createPeer: async () => {
    const pc = await createWeriftPeer({ maxMessageSize: 1024 * 1024 });
    if (sctpLogFile) {
      livePeers.push(pc);
      pc.connectionStateChange.subscribe((st) => {
        const i = livePeers.indexOf(pc);
        if ((st === 'closed' || st === 'failed') && i >= 0) livePeers.splice(i, 1);
      });
    }
    return pc;
  },
  closePeer: (pc) => void (pc as RTCPeerConnection).close().catch(() => undefined),
  openPdu: (pc, options) => PduChannel.open(pc, options),
  openPlain(pc, init): PlainChannel {
    const peer = pc as RTCPeerConnection;
    const channel: RTCDataChannel = peer.createDataChannel('plain', { negotiated: true, id: 2, ...init });
    return {
      whenOpen: async () => {
        if (channel.readyState === 'open') return;
        const [state] = await channel.stateChanged.watch((st) => st === 'open' || st === 'closed');
        if (state !== 'open') throw new Error('plain channel closed before it opened');
      },
      send: (data) => channel.send(Buffer.from(data.buffer, data.byteOffset, data.byteLength)),
      onMessage: (handler) =>
        channel.onMessage.subscribe((data) => {
          if (typeof data !== 'string') handler(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
        }),
      queuedBytes: () => weriftQueue(peer),
      settings: () => ({ ordered: channel.ordered, maxRetransmits: channel.maxRetransmits ?? null }),
      close: () => channel.close(),
    };
  },
  signaling: (url, room) => connectWebSocketSignaling(url, room, { WebSocket: WebSocket as unknown as WebSocketConstructor }),
  countSctp(pc) {
    const counters = countSctpSends(pc as RTCPeerConnection);
    return () => ({ ...counters });
  },
  async serveSignaling(host) {
    server ??= await startSignalingServer({ host });
    return server.url;
  },
};

const peer = new BenchPeer(env);
serveCommands(
  (command) => peer.handle(command),
  async () => {
    await peer.handle({ cmd: 'close' }).catch(() => undefined);
    await server?.close();
  },
);
write({ ready: true, stack: 'werift' });
