export { ReassemblyBuffer, type FragmentOutcome, type MessageShape } from './reassembly-buffer.js';
export { OrderedDelivery, type MessageNumberStatus } from './ordered-delivery.js';
export {
  IncomingMessages,
  type AcceptOutcome,
  type AcceptResult,
  type CompletedMessage,
  type IncomingFragment,
  type IncomingLimits,
} from './incoming-messages.js';
