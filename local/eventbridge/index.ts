export { InvalidEventPatternError, matchesPattern, validatePattern } from './pattern';
export {
  DEFAULT_RETRY_POLICY,
  LocalEventBridge,
  type EventBridgeEvent,
  type EventBridgeStats,
  type EventBridgeTargetPorts,
  type EventBusDescription,
  type EventRule,
  type EventRuleTarget,
  type LocalEventBridgeOptions,
  type PutEventsRequestEntry,
  type PutEventsResult,
  type PutEventsResultEntry,
  type RecentEvent,
  type RuleDescription,
  type RuleStats,
} from './bus';
export {
  EventBridgeError,
  TargetDeliveryError,
  classifyDeliveryError,
  type EventBridgeErrorCode,
} from './errors';
export { InvalidScheduleExpressionError, parseSchedule, type Schedule } from './schedule';
export {
  InvalidInputError,
  compileInputTransformer,
  compileJsonPath,
  type CompiledTransformer,
  type InputTransformerModel,
  type JsonPath,
  type PredefinedVariables,
} from './transform';
export { eventBridgeServer, type EventBridgeHttpServer, type EventBridgeServerOptions } from './server';
