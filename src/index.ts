// packet-dynamics: the app-facing API, browser entry (Node's entry, index.node.ts, adds its stacks).
import { w3cPeerChannels } from './channel/w3c-peer.js';
import { registerPeerChannelFactory } from './channel/platform.js';
import { browserWorkerFactory } from './host/browser-worker.js';
import { setDefaultWorkerFactory } from './host/pdu-host.js';

registerPeerChannelFactory(w3cPeerChannels);
if (typeof Worker === 'function') setDefaultWorkerFactory(browserWorkerFactory);

export * from './api.js';
