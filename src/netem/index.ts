// The real-network link emulator (Node-only, needs root): two network namespaces joined through a
// userspace router that applies the link simulator's models. docs/NETEM.md explains it.
export { NetemUnavailableError, netemUnavailableReason } from './availability.js';
export type { LinkSpec } from './link-spec.js';
export { NETEM_ADDRESS, NETEM_INTERFACE, NetemTopology, type ExecResult, type NetemOptions, type Side } from './namespaces.js';
export {
  ipProtocol,
  NetemRouter,
  type Direction,
  type DirectionCounters,
  type IpProtocol,
  type ProtocolCounters,
  type RouterCounters,
  type RouterOptions,
} from './router.js';
export { RouterProcess } from './router-process.js';
