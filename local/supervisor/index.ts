export {
  DEFAULT_LINK_LAG_MS,
  startRuntime,
  type RegionProcessStatus,
  type Runtime,
  type RuntimeOptions,
  type RuntimeStatus,
} from './runtime';
export { runtimeFilePath, supervisorControl, type RuntimeFile } from './control';
