import { adaptW3cDataChannel, EarlyArrivals, whenW3cChannelOpen, type W3cDataChannelLike } from '../transport/datachannel.js';
import type { ControlChannel, PeerChannelFactory } from './platform.js';

interface W3cTextChannelLike {
  readonly readyState: string;
  send(text: string): void;
  close(): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
  addEventListener(type: 'close' | 'open', listener: () => void): void;
}

interface W3cPeerLike {
  createDataChannel(label: string, init: RTCDataChannelInit): W3cDataChannelLike & W3cTextChannelLike;
  getConfiguration(): RTCConfiguration;
  getStats(): Promise<Iterable<[string, Record<string, unknown>]>>;
  readonly localDescription: { type: string } | null;
}

/** RTCPeerConnection as browsers (and other W3C-shaped stacks) define it. */
export const w3cPeerChannels: PeerChannelFactory = {
  accepts: (pc) => typeof (pc as W3cPeerLike)?.createDataChannel === 'function' && typeof (pc as W3cPeerLike).getStats === 'function',
  open(pc, init) {
    return this.openTransferable!(pc, init).adaptHere();
  },
  openTransferable(pc, { label, id, highWaterBytes }) {
    const peer = pc as W3cPeerLike;
    // CONTRACTS.md: pre-negotiated, unordered, no SCTP retransmission: recovery is PDU's own.
    const raw = peer.createDataChannel(label, { negotiated: true, id, ordered: false, maxRetransmits: 0 });
    const getStats = () => peer.getStats();
    return { raw, getStats, adaptHere: () => adaptW3cDataChannel(raw, { ...(highWaterBytes ? { highWaterBytes } : {}), getStats }) };
  },
  peerLike(pc) {
    const peer = pc as W3cPeerLike;
    // The peer's own class: a wrapped or polyfilled RTCPeerConnection stays what the caller chose.
    const Peer = peer.constructor as new (config: RTCConfiguration) => unknown;
    return new Peer(peer.getConfiguration());
  },
  openControl(pc, { label, id }): ControlChannel {
    const raw: W3cTextChannelLike = (pc as W3cPeerLike).createDataChannel(label, { negotiated: true, id, ordered: true });
    const inbound = new EarlyArrivals<string>();
    raw.addEventListener('message', (event) => {
      if (typeof event.data === 'string') inbound.push(event.data);
    });
    return {
      whenOpen: () => whenW3cChannelOpen(raw, 'control channel'),
      send: (text) => {
        if (raw.readyState === 'open') raw.send(text);
      },
      onMessage: (handler) => inbound.attach(handler),
      close: () => raw.close(),
    };
  },
  roleOf(pc) {
    const type = (pc as W3cPeerLike).localDescription?.type;
    return type === 'offer' ? 'initiator' : type === 'answer' ? 'responder' : undefined;
  },
};
