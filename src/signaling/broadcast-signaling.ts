import { parseSignal, type PeerSignal, type SignalingChannel } from './protocol.js';
import { SignalHub } from './signal-hub.js';

type Envelope =
  | { kind: 'hello'; from: string }
  | { kind: 'here'; from: string; to: string }
  | { kind: 'signal'; from: string; to: string; body: string };

/**
 * Signaling between tabs of one browser over a BroadcastChannel named after the room. A tab
 * announces itself; a tab already there answers; the newcomer takes the initiator role (the page
 * that loads second starts), so no server is needed.
 */
export function connectBroadcastSignaling(room: string): SignalingChannel {
  const hub = new SignalHub();
  // crypto.randomUUID exists only in secure contexts; getRandomValues works on plain-HTTP pages too.
  const self = Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  let peer: string | undefined;
  const channel = new BroadcastChannel(`pdu-signal-${room}`);
  const post = (envelope: Envelope) => channel.postMessage(envelope);

  channel.onmessage = (event: MessageEvent<Envelope>) => {
    const e = event.data;
    if (!e || typeof e !== 'object' || e.from === self) return;
    if (e.kind === 'hello' && peer === undefined) {
      peer = e.from;
      post({ kind: 'here', from: self, to: e.from });
      hub.becomeReady('responder');
    } else if (e.kind === 'here' && e.to === self && peer === undefined) {
      peer = e.from;
      hub.becomeReady('initiator');
    } else if (e.kind === 'signal' && e.to === self && e.from === peer) {
      const signal = parseSignal(e.body);
      if (signal && (signal.type === 'description' || signal.type === 'candidate' || signal.type === 'bye')) hub.deliver(signal);
    }
  };
  post({ kind: 'hello', from: self });

  return {
    ready: hub.ready,
    send(signal: PeerSignal) {
      if (peer !== undefined) post({ kind: 'signal', from: self, to: peer, body: JSON.stringify(signal) });
    },
    onSignal: (handler) => hub.subscribe(handler),
    close: () => channel.close(),
  };
}
