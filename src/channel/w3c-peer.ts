import { adaptW3cDataChannel, type W3cDataChannelLike } from '../transport/datachannel.js';
import type { PeerChannelFactory } from './platform.js';

interface W3cPeerLike {
  createDataChannel(label: string, init: RTCDataChannelInit): W3cDataChannelLike;
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
  roleOf(pc) {
    const type = (pc as W3cPeerLike).localDescription?.type;
    return type === 'offer' ? 'initiator' : type === 'answer' ? 'responder' : undefined;
  },
};
