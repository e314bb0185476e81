/**
 * Errors with the names the Step Functions API returns (its `__type`), so callers and the HTTP layer can
 * map them one to one: `TaskDoesNotExist`, `TaskTimedOut`, `ExecutionAlreadyExists`, …
 */
export type StepFunctionsErrorName =
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'InvalidOutput'
  | 'ExecutionAlreadyExists'
  | 'ExecutionDoesNotExist'
  | 'InvalidName'
  | 'InvalidExecutionInput'
  | 'InvalidDefinition'
  | 'InvalidArn'
  | 'InvalidToken'
  | 'StateMachineDoesNotExist'
  | 'ValidationException'
  | 'UnknownOperationException'
  | 'SerializationException';

/** An error the Step Functions API answers with (HTTP 400, its name as the `__type`). */
export class StepFunctionsError extends Error {
  override readonly name: StepFunctionsErrorName;

  constructor(name: StepFunctionsErrorName, message: string) {
    super(message);
    this.name = name;
  }
}

/**
 * An error a Task fails with, as States Language sees it: `name` is the error matched by `Retry` and
 * `Catch` (`ErrorEquals`), `message` the Cause.
 */
export class TaskError extends Error {
  override readonly name: string;

  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}
