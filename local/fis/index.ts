export {
  Experiments,
  FisError,
  parseIsoDuration,
  type ExperimentsOptions,
  type ReplicationControl,
} from './experiments';
export { startFisServer, type FisServer } from './server';
