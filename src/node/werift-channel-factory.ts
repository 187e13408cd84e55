import type { RTCPeerConnection } from 'werift';
import type { ControlChannel, PeerChannelFactory } from '../channel/platform.js';
import { EarlyArrivals } from '../transport/datachannel.js';
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
  peerLike(pc) {
    const peer = pc as RTCPeerConnection;
    // The same configuration, ICE servers included: a peer from createWeriftPeer keeps its
    // loopback STUN responder (and never werift's public fallback).
    const Peer = peer.constructor as new (config: RTCPeerConnection['config']) => RTCPeerConnection;
    const copy = new Peer(peer.config);
    patchWeriftAbandon(copy);
    return copy;
  },
  openControl(pc, { label, id }): ControlChannel {
    const channel = (pc as RTCPeerConnection).createDataChannel(label, { negotiated: true, id, ordered: true });
    const inbound = new EarlyArrivals<string>();
    channel.onMessage.subscribe((data) => {
      if (typeof data === 'string') inbound.push(data);
    });
    return {
      whenOpen: () =>
        new Promise<void>((resolve, reject) => {
          if (channel.readyState === 'open') return resolve();
          if (channel.readyState === 'closed') return reject(new Error('control channel closed'));
          channel.stateChanged.subscribe((state) => {
            if (state === 'open') resolve();
            else if (state === 'closed') reject(new Error('control channel closed before it opened'));
          });
        }),
      send: (text) => {
        if (channel.readyState === 'open') channel.send(text);
      },
      onMessage: (handler) => inbound.attach(handler),
      close: () => channel.close(),
    };
  },
  roleOf(pc) {
    const type = (pc as RTCPeerConnection).localDescription?.type;
    return type === 'offer' ? 'initiator' : type === 'answer' ? 'responder' : undefined;
  },
  // werift cuts user messages into DATA chunks of this many bytes and sends each chunk in a
  // packet of its own (it bundles nothing in front), so a datagram this size is still one chunk:
  // a 16 KiB message takes 14 datagrams instead of 15. tests/node/werift-smoke.test.ts fails
  // if werift changes that.
  datagramSize: 1200,
};
