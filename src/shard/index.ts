export { ShardingPolicy, type PathCondition, type ShardingDecision, type ShardingOptions } from './sharding-policy.js';
