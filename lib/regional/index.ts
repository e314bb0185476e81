export {
  API_STAGE_NAME,
  HEALTH_PATH,
  RegionalApi,
  type RegionalApiProps,
  type RegionalApiRoutes,
} from './api';
export { RegionalDns, type RegionalDnsProps } from './dns';
export { RegionalEvents, eventBusName, type LambdaConsumerOptions, type RegionalEventsProps } from './events';
export { ReplicationPauseExperiment, type ReplicationPauseExperimentProps } from './fault-injection';
export { Messaging, type MessagingProps } from './messaging';
export { RegionalMonitoring, type RegionalMonitoringProps } from './monitoring';
export { RegionalStack, type RegionalStackProps } from './regional-stack';
export { RegionalStage, type RegionalStageProps } from './regional-stage';
export { OrderSaga, STEP_ERRORS, orderSagaArn, orderSagaName, type OrderSagaProps } from './saga';
export {
  SERVICE_FUNCTIONS,
  SHIPPING_CONSUMER_TIMEOUT,
  Services,
  type ServiceFunctionName,
  type ServicesProps,
} from './services';
