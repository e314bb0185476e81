export {
  CLIENT_LOCATION_HEADER,
  EDGE_STATUS_PATH,
  NO_CACHE_HEADER,
  startEdge,
  type Edge,
  type EdgeCachedAnswer,
  type EdgeHealthCheckOptions,
  type EdgeOptions,
  type EdgeRegion,
  type EdgeRegionStatus,
  type EdgeStatus,
} from './edge';
export { healthCheckIdFor, systemClock, type Clock, type HealthFlip, type HealthObservation } from './health';
export {
  defaultLatency,
  defaultLatencyMatrix,
  UNKNOWN_PAIR_MS,
  WELL_KNOWN_LOCATIONS,
  type LatencyMatrix,
} from './latency';
export { healthCheckTags, ROUTE53_NAMESPACE, type Route53Tag } from './route53';
