import { parseSignal, SignalingError, type PeerSignal, type SignalingChannel } from './protocol.js';
import { SignalHub } from './signal-hub.js';

/** The part of the WebSocket API used here: the browser's WebSocket and the `ws` package both fit. */
interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open' | 'close' | 'error', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface WebSocketSignalingOptions {
  /** In Node 20, pass `WebSocket` from the `ws` package; browsers have one built in. */
  WebSocket?: WebSocketConstructor;
}

/** Joins `room` on a signaling server (src/signaling/server.ts). */
export function connectWebSocketSignaling(url: string, room: string, options: WebSocketSignalingOptions = {}): SignalingChannel {
  const Impl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
  if (!Impl) throw new SignalingError('closed', 'no WebSocket implementation: pass options.WebSocket (e.g. from the ws package)');
  const hub = new SignalHub();
  const socket = new Impl(url);
  let closed = false;
  socket.addEventListener('open', () => socket.send(JSON.stringify({ type: 'join', room })));
  socket.addEventListener('message', (event) => {
    const signal = typeof event.data === 'string' ? parseSignal(event.data) : undefined;
    if (!signal) return;
    switch (signal.type) {
      case 'ready':
        hub.becomeReady(signal.role);
        break;
      case 'error':
        hub.fail(new SignalingError(signal.code, signal.message));
        break;
      case 'description':
      case 'candidate':
      case 'bye':
      case 'peer-left':
        hub.deliver(signal);
        break;
    }
  });
  const onGone = () => {
    if (!closed) hub.fail(new SignalingError('closed', `signaling connection to ${url} closed`));
  };
  socket.addEventListener('close', onGone);
  socket.addEventListener('error', onGone);
  return {
    ready: hub.ready,
    send(signal: PeerSignal) {
      if (socket.readyState === 1) socket.send(JSON.stringify(signal));
    },
    onSignal: (handler) => hub.subscribe(handler),
    close() {
      closed = true;
      socket.close();
    },
  };
}
