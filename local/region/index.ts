export {
  MAX_TAKEOVER_GRACE_SECONDS,
  PORT_NAMES,
  REGION_CONFIG_VARIABLE,
  loopback,
  regionConfigSchema,
  type LinkState,
  type PortName,
  type RegionConfig,
  type RegionPorts,
} from './config';
export { startRegion, type LocalRegion, type RegionStatus } from './region';
export {
  endpointEnvironment,
  localizeFunction,
  scaledTakeoverGraceSeconds,
  TAKEOVER_GRACE_VARIABLE,
} from './environment';
