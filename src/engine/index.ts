/**
 * `packet-dynamics/engine`: the sans-IO protocol engine and its public types.
 */
export { PduEngine } from './engine.js';
export { DEFAULT_CONFIG, STRIPED_ASKED_ACK_DELAY_RTT, resolveConfig, type PduConfig, type PduEngineOptions, type PredictorChoice } from './config.js';
export { PduError, type PduErrorCode } from './errors.js';
export type { EngineState, EngineStats, ExpiryReason, PduEvent, RetransmissionStats } from './events.js';
export type { SendOptions } from './outgoing-message.js';
export { TraceRecorder, type TraceRecord } from './trace-recorder.js';
export type { LaneHold } from './lane-log.js';
export { MAX_LANES } from '../recovery/sent-packet-tracker.js';
export type { CongestionReport, CongestionSample } from '../congestion/congestion-report.js';
export type { GapFeatures, GapVerdict, LossPredictor } from '../predict/loss-predictor.js';
export type { ShardingDecision } from '../shard/sharding-policy.js';
