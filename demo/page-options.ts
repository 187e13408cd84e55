// What the page's URL says: the connection mode, the room, and where signaling and ICE servers
// are. A link with a room joins it on load; that is what the share link gives the other side.
import { MAX_STRIPES } from '../src/index.js';
import { ROOM_PATTERN } from '../src/signaling/index.js';
import type { Mode } from './connect.js';

export interface PageOptions {
  mode: Mode;
  room: string;
  /** True when the URL named a room to join at once. */
  autoJoin: boolean;
  signalUrl: string;
  iceServers: RTCIceServer[];
  /** Peer connections to stripe over (`?stripes=N`, 1..MAX_STRIPES; both sides must ask for it). */
  stripes: number;
}

export function readPageOptions(location: Location): PageOptions {
  const params = new URLSearchParams(location.search);
  const modeParam = params.get('mode');
  const mode: Mode = modeParam === 'tabs' || modeParam === 'ws' ? modeParam : 'page';
  const room = params.get('room') ?? '';
  // `npm run demo` proxies /pdu-signal to the signaling server, so the page's own origin works
  // from any machine that can open the page.
  const sameOrigin = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/pdu-signal`;
  const turnUser = params.get('turnUser') ?? undefined;
  const turnPass = params.get('turnPass') ?? undefined;
  const iceServers: RTCIceServer[] = [
    ...params.getAll('stun').map((urls) => ({ urls })),
    ...params.getAll('turn').map((urls) => ({ urls, ...(turnUser ? { username: turnUser } : {}), ...(turnPass ? { credential: turnPass } : {}) })),
  ];
  const stripes = Number(params.get('stripes') ?? 1);
  return {
    mode,
    room,
    autoJoin: mode !== 'page' && ROOM_PATTERN.test(room),
    signalUrl: params.get('signal') ?? sameOrigin,
    iceServers,
    stripes: Number.isInteger(stripes) && stripes >= 1 && stripes <= MAX_STRIPES ? stripes : 1,
  };
}

/** The link the other side opens: same page, same mode and room, same signaling and ICE settings. */
export function shareLink(location: Location, mode: Mode, room: string): string {
  const params = new URLSearchParams(location.search);
  params.set('mode', mode);
  params.set('room', room);
  return `${location.origin}${location.pathname}?${params}`;
}

export function randomRoom(): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  return Array.from(crypto.getRandomValues(new Uint8Array(6)), (b) => alphabet[b % alphabet.length]).join('');
}
