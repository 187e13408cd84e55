// Signaling messages: what two peers exchange (through a server or a BroadcastChannel) to set up
// their RTCPeerConnection. Everything arriving from outside is validated by parseSignal.

export type Role = 'initiator' | 'responder';

/** Between the two peers, relayed verbatim. */
export type PeerSignal =
  | { type: 'description'; description: { type: 'offer' | 'answer'; sdp: string } }
  | { type: 'candidate'; candidate: { candidate: string; sdpMid?: string | null; sdpMLineIndex?: number | null } }
  | { type: 'bye' };

/** From the server (or the BroadcastChannel rendezvous) to one peer. */
export type ServerSignal =
  | { type: 'ready'; role: Role }
  | { type: 'peer-left' }
  | { type: 'error'; code: 'room_full' | 'bad_message' | 'too_large'; message: string };

/** From a peer to the server. */
export type JoinSignal = { type: 'join'; room: string };

export type Signal = PeerSignal | ServerSignal | JoinSignal;

/** Bounds every signaling message: SDPs of a data-only session are a few KiB. */
export const MAX_SIGNAL_BYTES = 64 * 1024;
export const ROOM_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const optional = (v: unknown, kind: 'string' | 'number') => v === undefined || v === null || typeof v === kind;

/** JSON.parse of one message of at most MAX_SIGNAL_BYTES; undefined when oversized or not JSON. */
export function parseBoundedJson(text: string): unknown {
  if (text.length > MAX_SIGNAL_BYTES) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Parses and validates one message; undefined for anything malformed, oversized or unknown. */
export function parseSignal(text: string): Signal | undefined {
  return signalFrom(parseBoundedJson(text));
}

/** Validates one parsed message (parseSignal without the parsing). */
export function signalFrom(value: unknown): Signal | undefined {
  if (!isObject(value)) return undefined;
  switch (value.type) {
    case 'join':
      return typeof value.room === 'string' && ROOM_PATTERN.test(value.room) ? { type: 'join', room: value.room } : undefined;
    case 'description': {
      const d = value.description;
      if (!isObject(d) || (d.type !== 'offer' && d.type !== 'answer') || typeof d.sdp !== 'string') return undefined;
      return { type: 'description', description: { type: d.type, sdp: d.sdp } };
    }
    case 'candidate': {
      const c = value.candidate;
      if (!isObject(c) || typeof c.candidate !== 'string' || !optional(c.sdpMid, 'string') || !optional(c.sdpMLineIndex, 'number')) {
        return undefined;
      }
      return {
        type: 'candidate',
        candidate: { candidate: c.candidate, sdpMid: (c.sdpMid as string | null) ?? null, sdpMLineIndex: (c.sdpMLineIndex as number | null) ?? null },
      };
    }
    case 'bye':
      return { type: 'bye' };
    case 'ready':
      return value.role === 'initiator' || value.role === 'responder' ? { type: 'ready', role: value.role } : undefined;
    case 'peer-left':
      return { type: 'peer-left' };
    case 'error':
      return (value.code === 'room_full' || value.code === 'bad_message' || value.code === 'too_large') && typeof value.message === 'string'
        ? { type: 'error', code: value.code, message: value.message }
        : undefined;
    default:
      return undefined;
  }
}

/** A signaling path to the one other peer of a room. */
export interface SignalingChannel {
  /** Resolves once the other peer is there, with this side's role (the newcomer offers). */
  readonly ready: Promise<Role>;
  send(signal: PeerSignal): void;
  /** Subscribes to the other peer's signals and to `peer-left`; returns the unsubscribe function. */
  onSignal(handler: (signal: PeerSignal | { type: 'peer-left' }) => void): () => void;
  close(): void;
}

export class SignalingError extends Error {
  override readonly name = 'SignalingError';
  constructor(
    readonly code: 'room_full' | 'bad_message' | 'too_large' | 'closed' | 'timeout',
    message: string,
  ) {
    super(message);
  }
}
