import './polyfill';
import { randomBytes, randomUUID } from 'node:crypto';
import { ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import { StepFunctionsError, TaskError } from './errors';

/**
 * One state machine definition run locally with aws-local-stepfunctions, behind the Step Functions API
 * shapes (StartExecution, DescribeExecution, StopExecution, GetExecutionHistory, SendTask*).
 *
 * aws-local-stepfunctions (3.x) runs the States Language (Retry, Catch, Choice, Parallel, Map, Wait,
 * intrinsics, TimeoutSeconds) but calls real Lambda for every Task unless a local handler overrides it,
 * keyed by *state name*, and knows nothing of service integrations, `.waitForTaskToken` or `HeartbeatSeconds`.
 * This class overrides every Task state with a handler chosen by its `Resource`:
 *
 * - a Lambda function ARN (`payloadResponseOnly`) → `invokeFunction(arn, input)`, its result as is;
 * - `arn:<p>:states:::lambda:invoke` → `invokeFunction(FunctionName, Payload)`, the result wrapped as
 *   AWS does (`{ ExecutedVersion, Payload, StatusCode }`);
 * - `…:lambda:invoke.waitForTaskToken` → the invoke, then the task waits for its token;
 * - `…:sqs:sendMessage[.waitForTaskToken]` → `sendMessage(QueueUrl, MessageBody)` (objects as JSON);
 * - `…:dynamodb:updateItem` → `updateItem(Parameters)`; an error named `X` fails the task as `DynamoDB.X`.
 *
 * `$$.Task.Token`: the library evaluates Parameters against a run-wide context object, so the context carries
 * a placeholder that each token-waiting task replaces with a fresh token (a new one per attempt, as AWS).
 * An error thrown by a callback fails the task with the error's `name` as the States error (its message is
 * the Cause), so Retry and Catch route it like AWS does for a Lambda `errorType`.
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
type JsonObject = { [key: string]: JsonValue };

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface LocalStateMachineOptions {
  /** The Amazon States Language definition, intrinsics resolved (readAssembly's `definition`). */
  readonly definition: Record<string, unknown>;
  /** @default `arn:aws:states:us-east-1:000000000000:stateMachine:local` */
  readonly stateMachineArn?: string;
  /**
   * Invokes a Lambda function (ARN, possibly qualified) with a payload and returns its result. A function
   * error must be thrown as an Error whose `name` is the Lambda `errorType`.
   */
  readonly invokeFunction?: (functionArn: string, payload: JsonValue) => Promise<JsonValue> | JsonValue;
  /** Sends an SQS message; may return the SendMessage response (`{ MessageId, … }`). */
  readonly sendMessage?: (queueUrl: string, body: string) => Promise<unknown> | unknown;
  /** DynamoDB UpdateItem with the task's Parameters (`TableName`, `Key`, `UpdateExpression`, …). */
  readonly updateItem?: (params: JsonObject) => Promise<JsonValue | undefined> | JsonValue | undefined;
  /**
   * Divides every duration in the definition (Retry `IntervalSeconds`/`MaxDelaySeconds`, Task
   * `TimeoutSeconds`/`HeartbeatSeconds`, Wait `Seconds`, the machine's `TimeoutSeconds`) by this factor.
   * @default 1
   */
  readonly timeScale?: number;
  /** Passed to aws-local-stepfunctions: a fixed retry wait in ms per state name (or per retrier). */
  readonly retryIntervalOverrides?: Record<string, number | number[]>;
  /** Passed to aws-local-stepfunctions: a fixed wait in ms per Wait state name. */
  readonly waitTimeOverrides?: Record<string, number>;
}

export interface StartExecutionInput {
  /** @default a random UUID */
  readonly name?: string;
  /** A JSON string (as the API takes it) or a value. @default `{}` */
  readonly input?: string | JsonValue;
}

export interface StartExecutionOutput {
  readonly executionArn: string;
  readonly startDate: Date;
}

export interface DescribeExecutionOutput {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  /** JSON strings, as the API returns them. */
  readonly input: string;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** One history entry: the library's event log, plus the task-token events this class adds. */
export interface HistoryEvent {
  readonly id: number;
  readonly timestamp: Date;
  readonly type: string;
  readonly stateName?: string;
  readonly details?: Record<string, unknown>;
}

interface PendingTask {
  readonly token: string;
  readonly executionArn: string;
  readonly stateName: string;
  readonly resolve: (output: JsonValue) => void;
  readonly reject: (error: Error) => void;
  heartbeatTimer?: NodeJS.Timeout;
  timeoutTimer?: NodeJS.Timeout;
  readonly heartbeatMs?: number;
}

interface ExecutionRecord {
  readonly executionArn: string;
  readonly name: string;
  readonly input: string;
  readonly startDate: Date;
  status: ExecutionStatus;
  stopDate?: Date;
  output?: string;
  error?: string;
  cause?: string;
  readonly events: HistoryEvent[];
  abort?: () => void;
  readonly done: Promise<void>;
}

type TaskHandler = (input: JsonValue) => Promise<JsonValue>;

/** A placeholder for `$$.Task.Token`; each token-waiting task swaps it for a fresh token. */
const TOKEN_PLACEHOLDER = '__meridian_local_task_token__';
/** Largest timer Node honours (2^31-1 ms); longer delays fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;
/** AWS Task default when `TimeoutSeconds` is absent (the library's default is 60 s). */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

/** Duration fields the time scale divides, per holder. */
function scaleDefinition(definition: JsonObject, scale: number): void {
  const div = (value: JsonValue | undefined): JsonValue | undefined =>
    typeof value === 'number' ? value / scale : value;
  const visitMachine = (machine: JsonObject, top: boolean) => {
    if (top && typeof machine.TimeoutSeconds === 'number')
      machine.TimeoutSeconds = div(machine.TimeoutSeconds)!;
    const states = machine.States as Record<string, JsonObject> | undefined;
    for (const state of Object.values(states ?? {})) visitState(state);
  };
  const visitState = (state: JsonObject) => {
    for (const key of ['TimeoutSeconds', 'HeartbeatSeconds'] as const) {
      if (state.Type === 'Task' && typeof state[key] === 'number') state[key] = div(state[key])!;
    }
    if (state.Type === 'Wait' && typeof state.Seconds === 'number') state.Seconds = div(state.Seconds)!;
    for (const retrier of (state.Retry as JsonObject[] | undefined) ?? []) {
      retrier.IntervalSeconds = div(retrier.IntervalSeconds ?? 1)!;
      if (typeof retrier.MaxDelaySeconds === 'number')
        retrier.MaxDelaySeconds = div(retrier.MaxDelaySeconds)!;
    }
    for (const branch of (state.Branches as JsonObject[] | undefined) ?? []) visitMachine(branch, false);
    for (const key of ['Iterator', 'ItemProcessor'] as const) {
      const sub = state[key];
      if (sub && typeof sub === 'object' && !Array.isArray(sub)) visitMachine(sub, false);
    }
  };
  visitMachine(definition, true);
}

/** Every Task state, nested ones (Parallel branches, Map processors) included, by name. */
function taskStates(machine: JsonObject, found = new Map<string, JsonObject>()): Map<string, JsonObject> {
  const states = (machine.States as Record<string, JsonObject> | undefined) ?? {};
  for (const [name, state] of Object.entries(states)) {
    if (state.Type === 'Task') found.set(name, state);
    for (const branch of (state.Branches as JsonObject[] | undefined) ?? []) taskStates(branch, found);
    for (const key of ['Iterator', 'ItemProcessor'] as const) {
      const sub = state[key];
      if (sub && typeof sub === 'object' && !Array.isArray(sub)) taskStates(sub, found);
    }
  }
  return found;
}

function replaceDeep(value: JsonValue, from: string, to: string): JsonValue {
  if (typeof value === 'string') return value === from ? to : value;
  if (Array.isArray(value)) return value.map((v) => replaceDeep(v, from, to));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceDeep(v, from, to)]));
  }
  return value;
}

function parseJson(text: string, errorName: 'InvalidOutput' | 'InvalidExecutionInput'): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    throw new StepFunctionsError(errorName, `Invalid JSON: ${text.slice(0, 100)}`);
  }
}

/** The error a callback threw, renamed for a service integration (`DynamoDB.X`, `SQS.X`) when asked. */
function asTaskError(error: unknown, prefix?: string): Error {
  const err = error instanceof Error ? error : new Error(String(error));
  if (!prefix || err.name.startsWith(`${prefix}.`) || err.name.startsWith('States.')) return err;
  return new TaskError(`${prefix}.${err.name}`, err.message);
}

/**
 * Fails a task of an execution that was stopped or timed out: neither retried nor caught (the library reads
 * `isRetryable` / `isCatchable`), so the execution ends where it was.
 */
class ExecutionClosedError extends Error {
  constructor(status: ExecutionStatus) {
    super(`Execution ${status}`);
    this.name = 'States.Runtime';
  }
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

interface ParsedResource {
  readonly kind: 'lambda-arn' | 'lambda:invoke' | 'sqs:sendMessage' | 'dynamodb:updateItem';
  readonly waitForTaskToken: boolean;
}

/** The integration a Task `Resource` names, or undefined when this runner cannot serve it. */
export function parseTaskResource(resource: string): ParsedResource | undefined {
  if (/^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/.test(resource)) {
    return { kind: 'lambda-arn', waitForTaskToken: false };
  }
  const m = /^arn:[^:]+:states:::([a-z0-9-]+):([A-Za-z]+)(\.waitForTaskToken)?$/.exec(resource);
  if (!m) return undefined;
  const integration = `${m[1]}:${m[2]}`;
  const waitForTaskToken = m[3] !== undefined;
  if (integration === 'lambda:invoke') return { kind: 'lambda:invoke', waitForTaskToken };
  if (integration === 'sqs:sendMessage') return { kind: 'sqs:sendMessage', waitForTaskToken };
  if (integration === 'dynamodb:updateItem' && !waitForTaskToken) {
    return { kind: 'dynamodb:updateItem', waitForTaskToken };
  }
  return undefined;
}

export class LocalStateMachine {
  readonly stateMachineArn: string;
  readonly definition: JsonObject;
  private readonly machine: StateMachine;
  private readonly tasks: Map<string, JsonObject>;
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly pending = new Map<string, PendingTask>();
  /** Tokens whose task is over (completed, failed, timed out, or its execution closed). */
  private readonly closedTokens = new Set<string>();

  constructor(private readonly options: LocalStateMachineOptions) {
    this.stateMachineArn =
      options.stateMachineArn ?? 'arn:aws:states:us-east-1:000000000000:stateMachine:local';
    // A JSON copy, not structuredClone: the library tells templates from values by their prototype, and
    // structuredClone builds objects of the main realm (jest runs modules in a vm context).
    const definition = JSON.parse(JSON.stringify(options.definition)) as JsonObject;
    this.tasks = taskStates(definition);
    const unsupported = [...this.tasks]
      .filter(([, state]) => parseTaskResource(String(state.Resource)) === undefined)
      .map(([name, state]) => `${name} (${String(state.Resource)})`);
    if (unsupported.length > 0) {
      throw new StepFunctionsError(
        'InvalidDefinition',
        `Task resources not supported locally: ${unsupported.join(', ')}`,
      );
    }
    // The library validates the definition as given (integer durations), and reads the same object when it
    // runs: scale and default the durations after construction.
    this.machine = new StateMachine(definition as never);
    const scale = options.timeScale ?? 1;
    if (scale !== 1) scaleDefinition(definition, scale);
    for (const state of this.tasks.values()) {
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = AWS_DEFAULT_TASK_TIMEOUT_SECONDS / scale;
      }
      if (typeof state.TimeoutSeconds === 'number') {
        state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
      }
    }
    if (typeof definition.TimeoutSeconds === 'number') {
      definition.TimeoutSeconds = Math.min(definition.TimeoutSeconds, MAX_TIMER_SECONDS);
    }
    this.definition = definition;
  }

  // ------------------------------------------------------------------ executions

  startExecution(request: StartExecutionInput = {}): StartExecutionOutput {
    const name = request.name ?? randomUUID();
    if (!EXECUTION_NAME.test(name)) {
      throw new StepFunctionsError('InvalidName', `Invalid execution name: ${name}`);
    }
    const inputValue =
      request.input === undefined
        ? {}
        : typeof request.input === 'string'
          ? parseJson(request.input, 'InvalidExecutionInput')
          : request.input;
    const input = JSON.stringify(inputValue);
    const executionArn = this.executionArnOf(name);
    const existing = this.executions.get(executionArn);
    if (existing) {
      // AWS (Standard): the same name and input while RUNNING returns the same execution; otherwise the
      // name is taken (for 90 days after it closes).
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn, startDate: existing.startDate };
      }
      throw new StepFunctionsError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record = this.run(executionArn, name, input, inputValue);
    return { executionArn, startDate: record.startDate };
  }

  describeExecution(executionArn: string): DescribeExecutionOutput {
    const r = this.record(executionArn);
    return {
      executionArn: r.executionArn,
      stateMachineArn: this.stateMachineArn,
      name: r.name,
      status: r.status,
      startDate: r.startDate,
      input: r.input,
      ...(r.stopDate ? { stopDate: r.stopDate } : {}),
      ...(r.output !== undefined ? { output: r.output } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.cause !== undefined ? { cause: r.cause } : {}),
    };
  }

  listExecutions(status?: ExecutionStatus): DescribeExecutionOutput[] {
    return [...this.executions.keys()]
      .map((arn) => this.describeExecution(arn))
      .filter((e) => status === undefined || e.status === status);
  }

  getExecutionHistory(executionArn: string): readonly HistoryEvent[] {
    return [...this.record(executionArn).events];
  }

  /** Aborts a RUNNING execution (no-op on a closed one); its outstanding task tokens stop being valid. */
  stopExecution(executionArn: string, options: { error?: string; cause?: string } = {}): { stopDate: Date } {
    const r = this.record(executionArn);
    if (r.status === 'RUNNING') {
      this.close(r, 'ABORTED', { error: options.error, cause: options.cause });
      this.addEvent(r, 'ExecutionAborted', undefined, { error: options.error, cause: options.cause });
      r.abort?.();
    }
    return { stopDate: r.stopDate! };
  }

  /** Stops every RUNNING execution (their timers keep the process alive otherwise). */
  dispose(): void {
    for (const r of this.executions.values()) {
      if (r.status === 'RUNNING') this.stopExecution(r.executionArn, { error: 'Disposed' });
    }
  }

  /** Resolves once the execution has closed (any status); for tests and callers that need the result. */
  async waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    await this.record(executionArn).done;
    return this.describeExecution(executionArn);
  }

  // ------------------------------------------------------------------ task tokens

  sendTaskSuccess(taskToken: string, output: string | JsonValue): void {
    const value = typeof output === 'string' ? parseJson(output, 'InvalidOutput') : output;
    const task = this.takeTask(taskToken);
    this.addEvent(this.record(task.executionArn), 'TaskSucceeded', task.stateName, { output: value });
    task.resolve(value);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    const task = this.takeTask(taskToken);
    this.addEvent(this.record(task.executionArn), 'TaskFailed', task.stateName, { error, cause });
    task.reject(new TaskError(error ?? '', cause ?? ''));
  }

  sendTaskHeartbeat(taskToken: string): void {
    const task = this.liveTask(taskToken);
    if (task.heartbeatMs !== undefined) this.armHeartbeat(task);
  }

  // ------------------------------------------------------------------ internals

  private executionArnOf(name: string): string {
    // arn:aws:states:r:a:stateMachine:sm → arn:aws:states:r:a:execution:sm:name
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  private record(executionArn: string): ExecutionRecord {
    const r = this.executions.get(executionArn);
    if (!r)
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return r;
  }

  private addEvent(
    r: ExecutionRecord,
    type: string,
    stateName?: string,
    details?: Record<string, unknown>,
    timestamp = new Date(),
  ): void {
    r.events.push({
      id: r.events.length + 1,
      timestamp,
      type,
      ...(stateName !== undefined ? { stateName } : {}),
      ...(details !== undefined ? { details } : {}),
    });
  }

  private close(
    r: ExecutionRecord,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    result: { output?: string; error?: string | undefined; cause?: string | undefined },
  ): void {
    if (r.status !== 'RUNNING') return;
    r.status = status;
    r.stopDate = new Date();
    if (result.output !== undefined) r.output = result.output;
    if (result.error !== undefined) r.error = result.error;
    if (result.cause !== undefined) r.cause = result.cause;
    for (const task of [...this.pending.values()]) {
      if (task.executionArn !== r.executionArn) continue;
      this.retire(task);
      task.reject(new ExecutionClosedError(status));
    }
  }

  private run(executionArn: string, name: string, input: string, inputValue: JsonValue): ExecutionRecord {
    let settle!: () => void;
    const done = new Promise<void>((resolve) => (settle = resolve));
    const record: ExecutionRecord = {
      executionArn,
      name,
      input,
      startDate: new Date(),
      status: 'RUNNING',
      events: [],
      done,
    };
    this.executions.set(executionArn, record);
    const handlers: Record<string, TaskHandler> = {};
    for (const [stateName, state] of this.tasks) {
      handlers[stateName] = (taskInput) => this.runTask(record, stateName, state, taskInput);
    }
    const smName = this.stateMachineArn.split(':').pop() ?? 'local';
    const execution = this.machine.run(inputValue as never, {
      noThrowOnAbort: true,
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(this.options.retryIntervalOverrides
          ? { retryIntervalOverrides: this.options.retryIntervalOverrides }
          : {}),
        ...(this.options.waitTimeOverrides ? { waitTimeOverrides: this.options.waitTimeOverrides } : {}),
      },
      context: {
        Execution: { Id: executionArn, Name: name, RoleArn: '' },
        StateMachine: { Id: this.stateMachineArn, Name: smName },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    record.abort = execution.abort;
    const logs = (async () => {
      for await (const event of execution.eventLogs) {
        const { type, timestamp, ...rest } = event as unknown as {
          type: string;
          timestamp: number;
          state?: { name: string };
        } & Record<string, unknown>;
        const stateName = rest.state?.name;
        this.addEvent(record, type, stateName, rest, new Date(timestamp));
      }
    })().catch(() => undefined);
    execution.result.then(
      (output) => {
        this.close(record, 'SUCCEEDED', { output: JSON.stringify(output) });
      },
      (error: unknown) => {
        if (error instanceof ExecutionTimeoutError) {
          this.close(record, 'TIMED_OUT', {});
          return;
        }
        const original =
          error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
        const err = original instanceof Error ? original : new Error(String(original));
        const cause =
          err.cause !== undefined && err.cause !== null
            ? typeof err.cause === 'string'
              ? err.cause
              : JSON.stringify(err.cause)
            : err.message;
        this.close(record, 'FAILED', { error: err.name, cause });
      },
    );
    void logs;
    // The event log is consumed asynchronously: let it drain before the execution counts as done.
    void execution.result.then(
      () => setImmediate(settle),
      () => setImmediate(settle),
    );
    return record;
  }

  private async runTask(
    record: ExecutionRecord,
    stateName: string,
    state: JsonObject,
    input: JsonValue,
  ): Promise<JsonValue> {
    if (record.status !== 'RUNNING') throw new ExecutionClosedError(record.status);
    const resource = parseTaskResource(String(state.Resource))!;
    const params = (input && typeof input === 'object' && !Array.isArray(input) ? input : {}) as JsonObject;
    const invoke = async (fn: string, payload: JsonValue): Promise<JsonValue> => {
      if (!this.options.invokeFunction) throw new TaskError('States.Runtime', 'no invokeFunction handler');
      return (await this.options.invokeFunction(fn, payload)) ?? null;
    };
    if (resource.kind === 'lambda-arn') return invoke(String(state.Resource), input);
    if (resource.kind === 'dynamodb:updateItem') {
      if (!this.options.updateItem) throw new TaskError('States.Runtime', 'no updateItem handler');
      try {
        return (await this.options.updateItem(params)) ?? {};
      } catch (error) {
        throw asTaskError(error, 'DynamoDB');
      }
    }
    if (!resource.waitForTaskToken) {
      if (resource.kind === 'lambda:invoke') {
        const payload = await invoke(String(params.FunctionName), params.Payload ?? null);
        return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
      }
      return ((await this.send(params)) as JsonValue) ?? {};
    }
    // .waitForTaskToken: register the token before the message leaves, so a fast consumer finds it.
    const token = randomBytes(32).toString('base64url');
    const waiting = this.registerToken(record, stateName, state, token);
    const substituted = replaceDeep(params, TOKEN_PLACEHOLDER, token) as JsonObject;
    this.addEvent(record, 'TaskSubmitted', stateName, { resource: state.Resource });
    try {
      if (resource.kind === 'lambda:invoke') {
        await invoke(String(substituted.FunctionName), substituted.Payload ?? null);
      } else {
        await this.send(substituted);
      }
    } catch (error) {
      const task = this.pending.get(token);
      if (task) this.retire(task);
      throw error;
    }
    return waiting;
  }

  private async send(params: JsonObject): Promise<unknown> {
    if (!this.options.sendMessage) throw new TaskError('States.Runtime', 'no sendMessage handler');
    const body =
      typeof params.MessageBody === 'string' ? params.MessageBody : JSON.stringify(params.MessageBody);
    try {
      return (await this.options.sendMessage(String(params.QueueUrl), body)) ?? {};
    } catch (error) {
      throw asTaskError(error, 'SQS');
    }
  }

  private registerToken(
    record: ExecutionRecord,
    stateName: string,
    state: JsonObject,
    token: string,
  ): Promise<JsonValue> {
    return new Promise<JsonValue>((resolve, reject) => {
      const heartbeat = state.HeartbeatSeconds;
      const task: PendingTask = {
        token,
        executionArn: record.executionArn,
        stateName,
        resolve,
        reject,
        ...(typeof heartbeat === 'number' ? { heartbeatMs: heartbeat * 1000 } : {}),
      };
      this.pending.set(token, task);
      // The library enforces TimeoutSeconds (States.Timeout) itself; retire the token at the same moment so a
      // late SendTaskSuccess gets TaskTimedOut, as on AWS.
      if (typeof state.TimeoutSeconds === 'number') {
        // It does not reject: the library's own timeout error is the one `States.TaskFailed` does not match.
        task.timeoutTimer = setTimeout(() => this.retire(task), state.TimeoutSeconds * 1000);
        task.timeoutTimer.unref?.();
      }
      if (task.heartbeatMs !== undefined) this.armHeartbeat(task);
    });
  }

  private armHeartbeat(task: PendingTask): void {
    if (task.heartbeatTimer) clearTimeout(task.heartbeatTimer);
    task.heartbeatTimer = setTimeout(() => {
      this.retire(task);
      // AWS documents a missed heartbeat under States.Timeout (and States.HeartbeatTimeout); the library
      // matches names exactly, so the task fails with States.Timeout, which Retry/Catch on it route.
      task.reject(new TaskError('States.Timeout', 'Task heartbeat timed out'));
    }, task.heartbeatMs);
    task.heartbeatTimer.unref?.();
  }

  private retire(task: PendingTask): void {
    if (task.timeoutTimer) clearTimeout(task.timeoutTimer);
    if (task.heartbeatTimer) clearTimeout(task.heartbeatTimer);
    this.pending.delete(task.token);
    this.closedTokens.add(task.token);
  }

  private liveTask(token: string): PendingTask {
    const task = this.pending.get(token);
    if (task) return task;
    if (this.closedTokens.has(token)) {
      throw new StepFunctionsError('TaskTimedOut', 'Task Timed Out: the task is no longer running');
    }
    throw new StepFunctionsError('TaskDoesNotExist', 'Task Does Not Exist');
  }

  private takeTask(token: string): PendingTask {
    const task = this.liveTask(token);
    this.retire(task);
    return task;
  }
}

/** The saga's runner is a LocalStateMachine over the saga definition. */
export { LocalStateMachine as SagaRunner };
