// What both platform entries export.
export { PduChannel, type ChannelSendOptions, type PduChannelEvents, type PduChannelOptions } from './channel/pdu-channel.js';
export { PduChannelError, type PduChannelErrorCode } from './channel/errors.js';
export { registerPeerChannelFactory, type ControlChannel, type PeerChannelFactory } from './channel/platform.js';
export { MAX_STRIPES, type StripeOptions } from './channel/stripe-negotiation.js';
export { PduHost, PduHostError, type PduHostOptions } from './host/pdu-host.js';
export type { WorkerFactory, WorkerHandle } from './host/worker-handle.js';
export { adaptW3cDataChannel, type DatagramChannel } from './transport/datachannel.js';
export { StripedChannel } from './transport/striped-channel.js';
export type { CongestionReport, CongestionSample } from './congestion/congestion-report.js';
export { CoreLoadError, CoreMemoryError, loadWasmCore, referenceCore, type PduCore, type WasmCoreOptions } from './core/index.js';
