import type { RTCPeerConnection } from 'werift';
import type { PeerChannelFactory } from '../channel/platform.js';
import { adaptWeriftDataChannel } from './werift-datachannel.js';
import { patchWeriftAbandon } from './werift-peer.js';

/** werift peers: recognised by werift's event objects, which browsers' peers do not have. */
export const weriftPeerChannels: PeerChannelFactory = {
  accepts: (pc) => typeof (pc as { connectionStateChange?: { subscribe?: unknown } })?.connectionStateChange?.subscribe === 'function',
  open(pc, { label, id, highWaterBytes }) {
    const peer = pc as RTCPeerConnection;
    const channel = peer.createDataChannel(label, { negotiated: true, id, ordered: false, maxRetransmits: 0 });
    // Channels on peers the application made itself need the maxRetransmits:0 fix too.
    patchWeriftAbandon(peer);
    return adaptWeriftDataChannel(peer, channel, highWaterBytes ? { highWaterBytes } : {});
  },
  roleOf(pc) {
    const type = (pc as RTCPeerConnection).localDescription?.type;
    return type === 'offer' ? 'initiator' : type === 'answer' ? 'responder' : undefined;
  },
};
