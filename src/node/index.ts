// packet-dynamics/node: helpers that only make sense in Node.
export { startLocalStunServer, type LocalStunServer } from './stun-server.js';
export {
  connectWeriftPeers,
  countSctpSends,
  createWeriftPeer,
  localStun,
  patchWeriftAbandon,
  weriftAssociation,
  type SctpSendCounters,
  type WeriftPeerOptions,
} from './werift-peer.js';
