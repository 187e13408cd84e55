// The demo's three ways to bring two peers together. Each ends with PduChannels on this page:
// two when both peers live here, one otherwise.
import { PduChannel } from '../src/index.js';
import { connectBroadcastSignaling, connectWebSocketSignaling, negotiate, type NegotiablePeer, type Role, type SignalingChannel } from '../src/signaling/index.js';

export type Mode = 'page' | 'tabs' | 'ws';

export interface LocalPeer {
  /** How the page names this peer in logs and tables. */
  name: string;
  channel: PduChannel;
}

export interface Connection {
  /** The first peer is the one that sends chat and files. */
  peers: LocalPeer[];
  role: Role | undefined;
  /** Fires when the other side is gone (peer left or channel closed). */
  onGone(handler: (why: string) => void): void;
  close(): Promise<void>;
}

/** Channel options for every peer of the demo: stats often enough for smooth charts. */
const CHANNEL_OPTIONS = { statsIntervalMs: 500 } as const;

/** Two peers in this page, their candidates handed across directly: no signaling at all. */
export async function connectInPage(iceServers: RTCIceServer[]): Promise<Connection> {
  const pa = new RTCPeerConnection({ iceServers });
  const pb = new RTCPeerConnection({ iceServers });
  pa.onicecandidate = (e) => e.candidate && void pb.addIceCandidate(e.candidate);
  pb.onicecandidate = (e) => e.candidate && void pa.addIceCandidate(e.candidate);
  const opening = [PduChannel.open(pa, { ...CHANNEL_OPTIONS, role: 'initiator' }), PduChannel.open(pb, { ...CHANNEL_OPTIONS, role: 'responder' })];
  try {
    await pa.setLocalDescription();
    await pb.setRemoteDescription(pa.localDescription!);
    await pb.setLocalDescription();
    await pa.setRemoteDescription(pb.localDescription!);
    const [a, b] = await Promise.all(opening);
    return connection([{ name: 'peer A', channel: a! }, { name: 'peer B', channel: b! }], undefined, [pa, pb]);
  } catch (err) {
    pa.close();
    pb.close();
    throw err;
  }
}

/**
 * Joins `room` through a BroadcastChannel (`tabs`) or the WebSocket signaling server (`ws`);
 * `onWaiting` fires while nobody else is there yet, and `abort` gives up. The newcomer offers.
 */
export async function connectToRoom(
  mode: 'tabs' | 'ws',
  room: string,
  signalUrl: string,
  iceServers: RTCIceServer[],
  { onWaiting, abort, stripes = 1 }: { onWaiting: () => void; abort: AbortSignal; stripes?: number },
): Promise<Connection> {
  const signaling: SignalingChannel = mode === 'tabs' ? connectBroadcastSignaling(room) : connectWebSocketSignaling(signalUrl, room);
  const pc = new RTCPeerConnection({ iceServers });
  const aborted = new Promise<never>((_, reject) => abort.addEventListener('abort', () => reject(new Error('cancelled')), { once: true }));
  try {
    onWaiting();
    await Promise.race([signaling.ready, aborted]);
    // PDU's channel is pre-negotiated: it must exist before the offer, and its open timeout starts now.
    // Striped: PDU makes the other connections like this one and negotiates them over it.
    const opening = PduChannel.open(pc, { ...CHANNEL_OPTIONS, ...(stripes > 1 ? { stripes } : {}) });
    const role = await Promise.race([negotiate(pc as unknown as NegotiablePeer, signaling), aborted]);
    const channel = await Promise.race([opening, aborted]);
    return connection([{ name: 'you', channel }], role, [pc], signaling);
  } catch (err) {
    signaling.close();
    pc.close();
    throw err;
  }
}

function connection(peers: LocalPeer[], role: Role | undefined, pcs: RTCPeerConnection[], signaling?: SignalingChannel): Connection {
  const goneHandlers: Array<(why: string) => void> = [];
  let gone = false;
  const announce = (why: string) => {
    if (gone) return;
    gone = true;
    for (const h of goneHandlers) h(why);
  };
  for (const { channel } of peers) channel.on('close', ({ reason }) => announce(`channel closed: ${reason}`));
  signaling?.onSignal((s) => (s.type === 'peer-left' || s.type === 'bye') && announce('the other peer left'));
  return {
    peers,
    role,
    onGone: (handler) => goneHandlers.push(handler),
    async close() {
      gone = true;
      await Promise.all(peers.map(({ channel }) => channel.close()));
      signaling?.close();
      for (const pc of pcs) pc.close();
    },
  };
}
