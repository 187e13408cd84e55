export {
  MAX_SIGNAL_BYTES,
  parseSignal,
  ROOM_PATTERN,
  SignalingError,
  type PeerSignal,
  type Role,
  type ServerSignal,
  type Signal,
  type SignalingChannel,
} from './protocol.js';
export { connectWebSocketSignaling, type WebSocketConstructor, type WebSocketSignalingOptions } from './websocket-signaling.js';
export { connectBroadcastSignaling } from './broadcast-signaling.js';
export { negotiate, type NegotiablePeer } from './negotiate.js';
