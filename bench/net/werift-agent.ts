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

const env: PeerEnv = {
  now: () => performance.timeOrigin + performance.now(),
  createPeer: () => createWeriftPeer({ maxMessageSize: 1024 * 1024 }),
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
