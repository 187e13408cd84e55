export { RangeSet, type Range } from './range-set.js';
export { RttEstimator } from './rtt-estimator.js';
export { SentPacketTracker, type AckResult, type LossCause, type SentPacket } from './sent-packet-tracker.js';
export { AckTracker, type AckFrameContent, type AckPolicy, type AckReason } from './ack-tracker.js';
export { ArrivalStats } from './arrival-stats.js';
export { NackScheduler, type NackDecision, type PathContext } from './nack-scheduler.js';
