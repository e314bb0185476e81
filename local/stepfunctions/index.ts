import './polyfill';

export { installPromiseWithResolvers } from './polyfill';
export { StepFunctionsError, TaskError, type StepFunctionsErrorName } from './errors';
export {
  LocalStateMachine,
  SagaRunner,
  parseTaskResource,
  type DescribeExecutionOutput,
  type ExecutionStatus,
  type HistoryEvent,
  type JsonValue,
  type LocalStateMachineOptions,
  type StartExecutionInput,
  type StartExecutionOutput,
} from './state-machine';
