// packet-dynamics in Node (the package's `node` export condition): the same API as the browser
// entry, with werift peers and a worker_threads host.
import { w3cPeerChannels } from './channel/w3c-peer.js';
import { registerPeerChannelFactory } from './channel/platform.js';
import { nodeWorkerFactory } from './host/node-worker.js';
import { setDefaultWorkerFactory } from './host/pdu-host.js';
import { weriftPeerChannels } from './node/werift-channel-factory.js';

registerPeerChannelFactory(w3cPeerChannels);
registerPeerChannelFactory(weriftPeerChannels);
setDefaultWorkerFactory(nodeWorkerFactory);

export * from './api.js';
