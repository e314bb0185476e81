import './polyfill';

export { installPromiseWithResolvers } from './polyfill';
export { StepFunctionsError, TaskError, type StepFunctionsErrorName } from './errors';
export {
  isWaitingTask,
  parseTaskResource,
  scaleDefinition,
  type JsonObject,
  type JsonValue,
} from './definition';
export {
  LocalStateMachine,
  SagaRunner,
  MAX_PAYLOAD_BYTES,
  type DescribeExecutionOutput,
  type ExecutionCounts,
  type ExecutionStatus,
  type HistoryEvent,
  type LocalStateMachineOptions,
  type StartExecutionInput,
  type StartExecutionOutput,
} from './state-machine';
export { toAwsHistory, type AwsHistoryEvent, type AwsHistoryOptions } from './history';
export {
  LocalStepFunctions,
  type ExecutionListItem,
  type GetExecutionHistoryRequest,
  type ListExecutionsRequest,
  type LocalStepFunctionsOptions,
  type Page,
  type StateMachineDescription,
  type StateMachineListItem,
  type StateMachineStats,
} from './registry';
export { stepFunctionsServer, type StepFunctionsServer, type StepFunctionsServerOptions } from './server';
