export type { CongestionReport, CongestionSample } from './congestion-report.js';
export { CongestionEstimator, type PathSnapshot, type SeverityScales } from './congestion-estimator.js';
export { BbrController, type BbrOptions } from './bbr-controller.js';
export { DeliveryRateSampler, type RateSample, type RateSnapshot } from './delivery-rate.js';
export { Pacer } from './pacer.js';
