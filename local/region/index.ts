export {
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
