export {
  LIVE_ALIAS,
  METRICS_NAMESPACE,
  MeridianFunction,
  lambdaDeploymentConfig,
  type MeridianFunctionProps,
  type MeridianService,
} from './meridian-function';
