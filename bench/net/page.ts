// bench:net peer inside a Chromium page (served by the Chromium agent's Vite server). The agent
// relays protocol.ts commands to `globalThis.benchPeer.handle`.
import { PduChannel } from '../../src/index.js';
import { connectWebSocketSignaling } from '../../src/signaling/index.js';
import { BenchPeer, type PeerEnv, type PlainChannel } from './peer-core.js';

const env: PeerEnv = {
  now: () => performance.timeOrigin + performance.now(),
  createPeer: async () => new RTCPeerConnection(),
  closePeer: (pc) => (pc as RTCPeerConnection).close(),
  openPdu: (pc, options) => PduChannel.open(pc, options),
  openPlain(pc, init): PlainChannel {
    const channel = (pc as RTCPeerConnection).createDataChannel('plain', { negotiated: true, id: 2, ...init });
    channel.binaryType = 'arraybuffer';
    return {
      whenOpen: () =>
        new Promise<void>((resolve, reject) => {
          if (channel.readyState === 'open') return resolve();
          channel.addEventListener('open', () => resolve());
          channel.addEventListener('close', () => reject(new Error('plain channel closed before it opened')));
        }),
      send: (data) => channel.send(data as Uint8Array<ArrayBuffer>),
      onMessage: (handler) => channel.addEventListener('message', (e: MessageEvent) => e.data instanceof ArrayBuffer && handler(new Uint8Array(e.data))),
      queuedBytes: () => channel.bufferedAmount,
      settings: () => ({ ordered: channel.ordered, maxRetransmits: channel.maxRetransmits }),
      close: () => channel.close(),
    };
  },
  signaling: (url, room) => connectWebSocketSignaling(url, room),
};

(globalThis as Record<string, unknown>).benchPeer = new BenchPeer(env);
