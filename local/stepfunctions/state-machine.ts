import './polyfill';
import { randomBytes, randomUUID } from 'node:crypto';
import { ExecutionError, ExecutionTimeoutError, StateMachine } from 'aws-local-stepfunctions';
import {
  jsonCopy,
  parseTaskResource,
  replaceDeep,
  isWaitingTask,
  scaleDefinition,
  taskEventResource,
  taskStates,
  topLevelStates,
  type JsonObject,
  type JsonValue,
  type ParsedResource,
} from './definition';
import { StepFunctionsError, TaskError } from './errors';
import { ExecutionJournal, type LoadedExecution, type TaskOutcome } from './journal';

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
 *
 * Persistence (`dir`): every execution is journaled (see journal.ts). On construction the journal is read
 * back: closed executions are served as they were; RUNNING ones resume at the last top-level state entered
 * and not exited, with the input it was entered with, by running a copy of the definition whose `StartAt` is
 * that state. The interrupted step runs again (at-least-once; the saga's steps are idempotent by design),
 * unless its outcome was journaled (a SendTaskSuccess answered just before the kill), which is replayed.
 * A state inside a Parallel or Map resumes as its top-level Parallel/Map state.
 */

export type { JsonValue } from './definition';

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
  /**
   * The directory executions are journaled in (one JSON Lines file each). Executions found there are loaded
   * at construction and the RUNNING ones resumed.
   * @default executions are kept in memory only
   */
  readonly dir?: string;
  /** Diagnostics (resumes, unreadable journal lines). @default silent */
  readonly log?: (line: string) => void;
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
  /** How many times the execution was resumed after a restart (reported as the API's redrive count). */
  readonly redriveCount?: number;
  readonly redriveDate?: Date;
}

/**
 * One history entry: the library's event log (ExecutionStarted, StateEntered, StateExited, StateFailed,
 * StateRetried, StateCaught, Map/Parallel events, …), plus the task events this class records (TaskScheduled,
 * TaskStarted, TaskSubmitted, TaskSucceeded, TaskFailed, TaskTimedOut, their LambdaFunction* counterparts)
 * and ExecutionAborted / ExecutionResumed. history.ts maps them to the API's event types.
 */
export interface HistoryEvent {
  readonly id: number;
  readonly timestamp: Date;
  readonly type: string;
  readonly stateName?: string;
  readonly details?: Record<string, unknown>;
}

/** Executions by status, for `meridian status`. */
export interface ExecutionCounts {
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly aborted: number;
}

interface PendingTask {
  readonly token: string;
  readonly executionArn: string;
  readonly stateName: string;
  readonly resource: string;
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
  readonly settle: () => void;
  /** Rejects once the execution closes or is detached; in-flight task handlers race it. */
  readonly closed: Promise<never>;
  readonly shut: (error: Error) => void;
  /** Left RUNNING by close(): nothing more is recorded for it in this process. */
  detached: boolean;
  redriveCount: number;
  redriveDate?: Date;
  /** Timeouts seen per Task state: a handler that outlives its state's timeout records nothing. */
  readonly timeouts: Map<string, number>;
  /** On resume: the journaled outcome of the interrupted task, delivered instead of running it again. */
  replay?: { readonly stateName: string; readonly outcome: TaskOutcome };
  /** The top-level state the event consumer last saw entered and not exited. */
  activeTop?: string;
  /** Task attempts waiting for the consumer to see their top-level state entered (see `entered`). */
  gates: { readonly top: string; readonly open: () => void }[];
}

type TaskHandler = (input: JsonValue) => Promise<JsonValue>;

/** A placeholder for `$$.Task.Token`; each token-waiting task swaps it for a fresh token. */
const TOKEN_PLACEHOLDER = '__meridian_local_task_token__';
/** Largest timer Node honours (2^31-1 ms); longer delays fire at once. */
const MAX_TIMER_SECONDS = 2_147_483;
/** AWS Task default when `TimeoutSeconds` is absent (the library's default is 60 s). */
const AWS_DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999;
/** The API's limit on execution input and task output (UTF-8 bytes). */
export const MAX_PAYLOAD_BYTES = 262_144;
/**
 * Execution names: 1–80 of `0-9A-Za-z_-`. AWS allows more characters unless the state machine logs to
 * CloudWatch Logs (the saga does), where exactly this set applies; it is also safe as a file name.
 */
const EXECUTION_NAME = /^[A-Za-z0-9_-]{1,80}$/;

function parseJson(text: string, errorName: 'InvalidOutput' | 'InvalidExecutionInput'): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (error) {
    const what = errorName === 'InvalidOutput' ? 'Invalid Output' : 'Invalid State Machine Execution Input';
    throw new StepFunctionsError(errorName, `${what}: '${(error as Error).message}'`);
  }
}

/** The error a callback threw, renamed for a service integration (`DynamoDB.X`, `SQS.X`) when asked. */
function asTaskError(error: unknown, prefix?: string): Error {
  const err = error instanceof Error ? error : new Error(String(error));
  if (!prefix || err.name.startsWith(`${prefix}.`) || err.name.startsWith('States.')) return err;
  return new TaskError(`${prefix}.${err.name}`, err.message);
}

/** A Cause as text: the library passes `error.cause ?? error.message`, which may be any value. */
function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause) ?? '';
}

/**
 * Fails a task of an execution that was stopped, timed out or detached: neither retried nor caught (the
 * library reads `isRetryable` / `isCatchable`), so the execution ends where it was.
 */
class ExecutionClosedError extends Error {
  constructor(status: ExecutionStatus) {
    super(`Execution ${status === 'RUNNING' ? 'detached' : status}`);
    this.name = 'States.Runtime';
  }
  get isRetryable(): boolean {
    return false;
  }
  get isCatchable(): boolean {
    return false;
  }
}

function newRecord(executionArn: string, name: string, input: string, startDate: Date): ExecutionRecord {
  let settle!: () => void;
  const done = new Promise<void>((resolve) => (settle = resolve));
  let shut!: (error: Error) => void;
  const closed = new Promise<never>((_, reject) => (shut = reject));
  closed.catch(() => undefined);
  return {
    executionArn,
    name,
    input,
    startDate,
    status: 'RUNNING',
    events: [],
    done,
    settle,
    closed,
    shut,
    detached: false,
    redriveCount: 0,
    timeouts: new Map(),
    gates: [],
  };
}

/** Definition texts that passed the library's validation in this process. */
const VALIDATED = new Set<string>();

export { parseTaskResource } from './definition';

export class LocalStateMachine {
  readonly stateMachineArn: string;
  /** The definition as run: durations scaled, Task timeouts defaulted. */
  readonly definition: JsonObject;
  private readonly machine: StateMachine;
  private readonly tasks: Map<string, JsonObject>;
  /** Task states as written (unscaled), for the timeouts history events report. */
  private readonly sourceTasks: Map<string, JsonObject>;
  /** Every state's top-level state (itself, or the Parallel/Map it is nested in), by name. */
  private readonly topOf: Map<string, string>;
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly pending = new Map<string, PendingTask>();
  /** Tokens whose task is over (completed, failed, timed out, its execution closed, or a previous process's). */
  private readonly closedTokens = new Set<string>();
  private readonly journal?: ExecutionJournal;
  private readonly log: (line: string) => void;
  private readonly region: string;
  private isClosed = false;

  constructor(private readonly options: LocalStateMachineOptions) {
    this.stateMachineArn =
      options.stateMachineArn ?? 'arn:aws:states:us-east-1:000000000000:stateMachine:local';
    this.region = this.stateMachineArn.split(':')[3] ?? '';
    this.log = options.log ?? (() => undefined);
    // A JSON copy, not structuredClone: the library tells templates from values by their prototype, and
    // structuredClone builds objects of the main realm (jest runs modules in a vm context).
    const definition = jsonCopy(options.definition) as JsonObject;
    this.sourceTasks = taskStates(jsonCopy(definition));
    this.tasks = taskStates(definition);
    this.topOf = topLevelStates(definition);
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
    // runs: scale and default the durations after construction. Validation is deterministic and slow
    // (0.2–1 s), so a definition text validated once in this process is not validated again.
    const text = JSON.stringify(definition);
    this.machine = new StateMachine(definition as never, {
      validationOptions: { noValidate: VALIDATED.has(text) },
    });
    VALIDATED.add(text);
    const scale = options.timeScale ?? 1;
    if (scale !== 1) scaleDefinition(definition, scale);
    for (const state of this.tasks.values()) {
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = AWS_DEFAULT_TASK_TIMEOUT_SECONDS / (isWaitingTask(state) ? scale : 1);
      }
      if (typeof state.TimeoutSeconds === 'number') {
        state.TimeoutSeconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
      }
    }
    if (typeof definition.TimeoutSeconds === 'number') {
      definition.TimeoutSeconds = Math.min(definition.TimeoutSeconds, MAX_TIMER_SECONDS);
    }
    this.definition = definition;
    if (options.dir !== undefined) {
      this.journal = new ExecutionJournal(options.dir, this.log);
      for (const loaded of this.journal.load()) this.restore(loaded);
    }
  }

  // ------------------------------------------------------------------ executions

  startExecution(request: StartExecutionInput = {}): StartExecutionOutput {
    if (this.isClosed) throw new Error(`LocalStateMachine ${this.stateMachineArn} is closed`);
    const name = request.name ?? randomUUID();
    if (!EXECUTION_NAME.test(name)) {
      throw new StepFunctionsError('InvalidName', `Invalid Name: '${name}'`);
    }
    if (typeof request.input === 'string' && Buffer.byteLength(request.input) > MAX_PAYLOAD_BYTES) {
      throw new StepFunctionsError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: the input is larger than ${MAX_PAYLOAD_BYTES} bytes`,
      );
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
    const record = newRecord(executionArn, name, input, new Date());
    if (this.journal) {
      // Durable before the caller learns the ARN: a restarted region knows (and resumes) every execution
      // it ever acknowledged, and a repeated StartExecution stays idempotent.
      this.journal.append(name, { t: 'start', name, input, startDate: record.startDate.getTime() });
      this.journal.flush(name);
    }
    this.executions.set(executionArn, record);
    this.launch(record, this.machine, inputValue, false);
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
      ...(r.redriveCount > 0 ? { redriveCount: r.redriveCount, redriveDate: r.redriveDate! } : {}),
    };
  }

  /** Every execution (insertion order), optionally of one status. */
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
      this.finish(r, 'ABORTED', { error: options.error, cause: options.cause });
      this.addEvent(r, 'ExecutionAborted', undefined, {
        ...(options.error !== undefined ? { error: options.error } : {}),
        ...(options.cause !== undefined ? { cause: options.cause } : {}),
      });
      this.journal?.flush(r.name);
      r.abort?.();
    }
    return { stopDate: r.stopDate! };
  }

  /** Stops every RUNNING execution (recorded ABORTED); their timers keep the process alive otherwise. */
  dispose(): void {
    for (const r of this.executions.values()) {
      if (r.status === 'RUNNING' && !r.detached) this.stopExecution(r.executionArn, { error: 'Disposed' });
    }
  }

  /**
   * Shuts down as a process exit would, without recording anything new: RUNNING executions stay RUNNING in
   * the journal (a new instance on the same `dir` resumes them); their in-process runs and timers end.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.journal?.close();
    for (const r of this.executions.values()) {
      if (r.status !== 'RUNNING' || r.detached) continue;
      r.detached = true;
      r.shut(new ExecutionClosedError('RUNNING'));
      r.abort?.();
      r.settle();
    }
    for (const task of [...this.pending.values()]) {
      this.retire(task);
      task.reject(new ExecutionClosedError('RUNNING'));
    }
  }

  /** Resolves once the execution has closed (any status); for tests and callers that need the result. */
  async waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    await this.record(executionArn).done;
    return this.describeExecution(executionArn);
  }

  /** Executions by status. */
  counts(): ExecutionCounts {
    const c = { running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0 };
    for (const r of this.executions.values()) {
      if (r.status === 'RUNNING') c.running += 1;
      else if (r.status === 'SUCCEEDED') c.succeeded += 1;
      else if (r.status === 'FAILED') c.failed += 1;
      else if (r.status === 'TIMED_OUT') c.timedOut += 1;
      else c.aborted += 1;
    }
    return c;
  }

  // ------------------------------------------------------------------ task tokens

  sendTaskSuccess(taskToken: string, output: string | JsonValue): void {
    const value = typeof output === 'string' ? parseJson(output, 'InvalidOutput') : output;
    const task = this.liveTask(taskToken);
    const record = this.record(task.executionArn);
    this.addEvent(record, 'TaskSucceeded', task.stateName, {
      ...taskEventResource(task.resource),
      output: JSON.stringify(value),
    });
    // Durable before the caller hears 200 (after a restart the outcome is replayed, not asked for again);
    // the token is spent only once that write succeeded.
    this.journal?.flush(record.name);
    this.retire(task);
    task.resolve(value);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    const task = this.liveTask(taskToken);
    const record = this.record(task.executionArn);
    this.addEvent(record, 'TaskFailed', task.stateName, {
      ...taskEventResource(task.resource),
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
    this.journal?.flush(record.name);
    this.retire(task);
    task.reject(new TaskError(error ?? '', cause ?? ''));
  }

  sendTaskHeartbeat(taskToken: string): void {
    const task = this.liveTask(taskToken);
    if (task.heartbeatMs !== undefined) this.armHeartbeat(task);
  }

  /** Whether this machine issued the token (its task may be over). */
  knowsToken(taskToken: string): boolean {
    return this.pending.has(taskToken) || this.closedTokens.has(taskToken);
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
    const event: HistoryEvent = {
      id: r.events.length + 1,
      timestamp,
      type,
      ...(stateName !== undefined ? { stateName } : {}),
      ...(details !== undefined ? { details } : {}),
    };
    r.events.push(event);
    if (r.detached) return;
    this.journal?.append(r.name, {
      t: 'event',
      id: event.id,
      ts: timestamp.getTime(),
      type,
      ...(stateName !== undefined ? { stateName } : {}),
      ...(details !== undefined ? { details } : {}),
    });
  }

  /** Closes a RUNNING execution with a terminal status; its in-flight tasks and tokens end. */
  private finish(
    r: ExecutionRecord,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    result: { output?: string; error?: string | undefined; cause?: string | undefined },
  ): void {
    if (r.status !== 'RUNNING' || r.detached) return;
    r.status = status;
    r.stopDate = new Date();
    if (result.output !== undefined) r.output = result.output;
    if (result.error !== undefined) r.error = result.error;
    if (result.cause !== undefined) r.cause = result.cause;
    this.journal?.append(r.name, {
      t: 'close',
      status,
      stopDate: r.stopDate.getTime(),
      ...(r.output !== undefined ? { output: r.output } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.cause !== undefined ? { cause: r.cause } : {}),
    });
    r.shut(new ExecutionClosedError(status));
    for (const task of [...this.pending.values()]) {
      if (task.executionArn !== r.executionArn) continue;
      this.retire(task);
      task.reject(new ExecutionClosedError(status));
    }
  }

  /** Runs `machine` for an execution record: a fresh start, or a resume (`resumed`) of a loaded one. */
  private launch(
    record: ExecutionRecord,
    machine: StateMachine,
    inputValue: JsonValue,
    resumed: boolean,
  ): void {
    const handlers: Record<string, TaskHandler> = {};
    for (const [stateName, state] of this.tasks) {
      handlers[stateName] = (taskInput) => this.runTask(record, stateName, state, taskInput);
    }
    const smName = this.stateMachineArn.split(':').pop() ?? 'local';
    const execution = machine.run(inputValue as never, {
      noThrowOnAbort: true,
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        ...(this.options.retryIntervalOverrides
          ? { retryIntervalOverrides: this.options.retryIntervalOverrides }
          : {}),
        ...(this.options.waitTimeOverrides ? { waitTimeOverrides: this.options.waitTimeOverrides } : {}),
      },
      context: {
        Execution: { Id: record.executionArn, Name: record.name, RoleArn: '' },
        StateMachine: { Id: this.stateMachineArn, Name: smName },
        Task: { Token: TOKEN_PLACEHOLDER },
      },
    });
    record.abort = execution.abort;
    void (async () => {
      for await (const event of execution.eventLogs) this.onLibraryEvent(record, event as never, resumed);
    })().catch((error: unknown) => this.log(`event log of ${record.executionArn}: ${String(error)}`));
    execution.result.then(
      (output) => {
        this.finish(record, 'SUCCEEDED', { output: JSON.stringify(output) });
      },
      (error: unknown) => {
        if (error instanceof ExecutionTimeoutError) {
          this.finish(record, 'TIMED_OUT', {});
          return;
        }
        const original =
          error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
        const err = original instanceof Error ? original : new Error(String(original));
        const cause = err.cause !== undefined && err.cause !== null ? causeText(err.cause) : err.message;
        this.finish(record, 'FAILED', { error: err.name, cause });
      },
    );
    // The event log is consumed asynchronously: let it drain before the execution counts as done.
    void execution.result.then(
      () => setImmediate(record.settle),
      () => setImmediate(record.settle),
    );
  }

  /** Records one event of the library's log. */
  private onLibraryEvent(
    record: ExecutionRecord,
    event: { type: string; timestamp: number; state?: { name: string; type: string } } & Record<
      string,
      unknown
    >,
    resumed: boolean,
  ): void {
    if (record.detached) return;
    const { type, timestamp, ...rest } = event;
    // stopExecution records ExecutionAborted itself, with the caller's error and cause.
    if (type === 'ExecutionAborted') return;
    // A resumed run starts mid-way: its ExecutionResumed event stands for the library's ExecutionStarted.
    if (resumed && type === 'ExecutionStarted') return;
    if ('Cause' in rest) rest.Cause = causeText(rest.Cause);
    const stateName = rest.state?.name;
    const at = new Date(timestamp);
    if (
      type === 'StateFailed' &&
      rest.state?.type === 'Task' &&
      rest.Error === 'States.Timeout' &&
      stateName
    ) {
      // The library enforces Task TimeoutSeconds; AWS reports it as the task's own event.
      record.timeouts.set(stateName, (record.timeouts.get(stateName) ?? 0) + 1);
      const resource = String(this.tasks.get(stateName)?.Resource ?? '');
      const lambdaArn = parseTaskResource(resource)?.kind === 'lambda-arn';
      this.addEvent(
        record,
        lambdaArn ? 'LambdaFunctionTimedOut' : 'TaskTimedOut',
        stateName,
        { ...(lambdaArn ? {} : taskEventResource(resource)), error: 'States.Timeout', cause: rest.Cause },
        at,
      );
    }
    this.addEvent(record, type, stateName, rest, at);
    if (stateName !== undefined && rest.index === undefined && this.topOf.get(stateName) === stateName) {
      if (type === 'StateEntered') record.activeTop = stateName;
      else if (type === 'StateExited' && record.activeTop === stateName) record.activeTop = undefined;
      if (record.activeTop !== undefined && record.gates.length > 0) {
        const top = record.activeTop;
        record.gates = record.gates.filter((gate) => (gate.top === top ? (gate.open(), false) : true));
      }
    }
  }

  /**
   * Resolves once the event consumer has recorded the entry of `top` (the task's top-level state), so the
   * journal can hold the resume point before the task's effect leaves the process. The library calls a Task
   * handler synchronously after dispatching StateEntered, and the consumer records events in microtasks:
   * this waits microtasks only, so no timer (the task's own timeout) can fire in between.
   */
  private entered(record: ExecutionRecord, top: string): Promise<void> {
    if (record.activeTop === top) return Promise.resolve();
    return new Promise((open) => record.gates.push({ top, open }));
  }

  private runTask(
    record: ExecutionRecord,
    stateName: string,
    state: JsonObject,
    input: JsonValue,
  ): Promise<JsonValue> {
    if (record.status !== 'RUNNING' || record.detached) {
      return Promise.reject(new ExecutionClosedError(record.status));
    }
    const replay = record.replay;
    if (replay?.stateName === stateName) {
      record.replay = undefined;
      if ('output' in replay.outcome) return Promise.resolve(replay.outcome.output);
      return Promise.reject(new TaskError(replay.outcome.error, replay.outcome.cause));
    }
    // Racing `closed` ends the handler (and the library's task timer) when the execution closes or detaches.
    return Promise.race([this.attempt(record, stateName, state, input), record.closed]);
  }

  /** One attempt of a Task state: its history events, its effect, its result. */
  private async attempt(
    record: ExecutionRecord,
    stateName: string,
    state: JsonObject,
    input: JsonValue,
  ): Promise<JsonValue> {
    const resource = parseTaskResource(String(state.Resource))!;
    const timeoutsAtStart = record.timeouts.get(stateName) ?? 0;
    const live = () =>
      record.status === 'RUNNING' &&
      !record.detached &&
      (record.timeouts.get(stateName) ?? 0) === timeoutsAtStart;
    // Journal the resume point (this state's StateEntered, with its input) before any effect leaves the
    // process. (A state revisited in a loop may pass before the consumer caught up: it then resumes at the
    // earlier visit, still at-least-once.)
    await this.entered(record, this.topOf.get(stateName) ?? stateName);
    if (!live()) throw new ExecutionClosedError(record.status);
    const params = (input && typeof input === 'object' && !Array.isArray(input) ? input : {}) as JsonObject;
    const where = taskEventResource(String(state.Resource));
    const lambdaArn = resource.kind === 'lambda-arn';
    const source = this.sourceTasks.get(stateName);
    const timeoutInSeconds = typeof source?.TimeoutSeconds === 'number' ? source.TimeoutSeconds : undefined;
    const heartbeatInSeconds =
      typeof source?.HeartbeatSeconds === 'number' ? source.HeartbeatSeconds : undefined;
    const scheduled = (parameters: JsonValue) =>
      lambdaArn
        ? {
            resource: String(state.Resource),
            input: JSON.stringify(parameters),
            ...(timeoutInSeconds !== undefined ? { timeoutInSeconds } : {}),
          }
        : {
            ...where,
            region: this.region,
            parameters: JSON.stringify(parameters),
            ...(timeoutInSeconds !== undefined ? { timeoutInSeconds } : {}),
            ...(heartbeatInSeconds !== undefined ? { heartbeatInSeconds } : {}),
          };
    const failed = (error: unknown): void => {
      const err = error instanceof Error ? error : new Error(String(error));
      if (!live() || err instanceof ExecutionClosedError || err.name === 'States.Timeout') return;
      this.addEvent(record, lambdaArn ? 'LambdaFunctionFailed' : 'TaskFailed', stateName, {
        ...(lambdaArn ? {} : where),
        error: err.name,
        cause: err.message,
      });
    };

    if (resource.waitForTaskToken) {
      // Register and journal the token before the message leaves, so a fast consumer finds it and a
      // restarted region knows it (and answers it TaskTimedOut).
      const token = randomBytes(32).toString('base64url');
      const waiting = this.registerToken(record, stateName, state, token);
      const substituted = replaceDeep(params, TOKEN_PLACEHOLDER, token) as JsonObject;
      this.journal?.append(record.name, { t: 'token', token, stateName });
      this.addEvent(record, 'TaskScheduled', stateName, scheduled(substituted));
      this.addEvent(record, 'TaskStarted', stateName, where);
      this.journal?.flush(record.name);
      let response: JsonValue;
      try {
        response = await this.perform(resource, String(state.Resource), substituted, substituted);
      } catch (error) {
        const task = this.pending.get(token);
        if (task) this.retire(task);
        failed(error);
        throw error;
      }
      if (live()) {
        this.addEvent(record, 'TaskSubmitted', stateName, { ...where, output: JSON.stringify(response) });
      }
      // TaskSucceeded / TaskFailed are recorded by sendTaskSuccess / sendTaskFailure.
      return waiting;
    }

    this.addEvent(
      record,
      lambdaArn ? 'LambdaFunctionScheduled' : 'TaskScheduled',
      stateName,
      scheduled(lambdaArn ? input : params),
    );
    this.addEvent(
      record,
      lambdaArn ? 'LambdaFunctionStarted' : 'TaskStarted',
      stateName,
      lambdaArn ? {} : where,
    );
    this.journal?.flush(record.name);
    try {
      const output = await this.perform(resource, String(state.Resource), params, input);
      if (live()) {
        this.addEvent(record, lambdaArn ? 'LambdaFunctionSucceeded' : 'TaskSucceeded', stateName, {
          ...(lambdaArn ? {} : where),
          output: JSON.stringify(output),
        });
      }
      return output;
    } catch (error) {
      failed(error);
      throw error;
    }
  }

  /** The integration's call: its response (for `.waitForTaskToken`, the response of the submission). */
  private async perform(
    resource: ParsedResource,
    resourceArn: string,
    params: JsonObject,
    input: JsonValue,
  ): Promise<JsonValue> {
    const invoke = async (fn: string, payload: JsonValue): Promise<JsonValue> => {
      if (!this.options.invokeFunction) throw new TaskError('States.Runtime', 'no invokeFunction handler');
      return (await this.options.invokeFunction(fn, payload)) ?? null;
    };
    if (resource.kind === 'lambda-arn') return invoke(resourceArn, input);
    if (resource.kind === 'dynamodb:updateItem') {
      if (!this.options.updateItem) throw new TaskError('States.Runtime', 'no updateItem handler');
      try {
        return (await this.options.updateItem(params)) ?? {};
      } catch (error) {
        throw asTaskError(error, 'DynamoDB');
      }
    }
    if (resource.kind === 'lambda:invoke') {
      const payload = await invoke(String(params.FunctionName), params.Payload ?? null);
      return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
    }
    return ((await this.send(params)) as JsonValue) ?? {};
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
        resource: String(state.Resource),
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

  // ------------------------------------------------------------------ persistence

  /** Rebuilds an execution from its journal; resumes it when it was RUNNING. */
  private restore(loaded: LoadedExecution): void {
    const { start } = loaded;
    if (!EXECUTION_NAME.test(start.name)) {
      this.log(`journal: skipping an execution with an invalid name '${start.name}'`);
      return;
    }
    const executionArn = this.executionArnOf(start.name);
    const record = newRecord(executionArn, start.name, start.input, new Date(start.startDate));
    for (const e of loaded.events) {
      record.events.push({
        id: record.events.length + 1,
        timestamp: new Date(e.ts),
        type: e.type,
        ...(e.stateName !== undefined ? { stateName: e.stateName } : {}),
        ...(e.details !== undefined ? { details: e.details } : {}),
      });
      if (e.type === 'ExecutionResumed') {
        record.redriveCount += 1;
        record.redriveDate = new Date(e.ts);
      }
    }
    for (const token of loaded.tokens) this.closedTokens.add(token);
    this.executions.set(executionArn, record);
    const close = loaded.close;
    if (close) {
      record.status = close.status;
      record.stopDate = new Date(close.stopDate);
      if (close.output !== undefined) record.output = close.output;
      if (close.error !== undefined) record.error = close.error;
      if (close.cause !== undefined) record.cause = close.cause;
      record.settle();
      return;
    }
    this.resume(record);
  }

  /**
   * Where a journaled RUNNING execution picks up: the last top-level state entered and not exited, with its
   * input (else the last one exited, run again; else StartAt with the execution input), and the task outcome
   * to replay when the interrupted Task's result was journaled but the state had not exited yet.
   */
  private resumePoint(record: ExecutionRecord): {
    stateName: string;
    input: JsonValue;
    replay?: TaskOutcome;
  } {
    const top = new Set(Object.keys((this.definition.States as JsonObject | undefined) ?? {}));
    type Entry = { name: string; input: JsonValue; from: number };
    let active: Entry | undefined;
    let last: Entry | undefined;
    record.events.forEach((e, i) => {
      if (e.type === 'ExecutionResumed') {
        // The resume point itself, with its input: a kill before the resumed run re-enters it resumes there.
        const resumedAt = e.details as { input?: JsonValue } | undefined;
        active = { name: String(e.stateName), input: resumedAt?.input ?? null, from: i };
        return;
      }
      const d = e.details as { state?: { input?: JsonValue }; index?: number } | undefined;
      // Map iterations tag their states' events with `index`; ASL state names are unique machine-wide.
      if (d?.index !== undefined || e.stateName === undefined || !top.has(e.stateName)) return;
      if (e.type === 'StateEntered' && !active) {
        active = { name: e.stateName, input: d?.state?.input ?? null, from: i };
      } else if (e.type === 'StateExited' && active?.name === e.stateName) {
        last = active;
        active = undefined;
      }
    });
    const point: Entry | undefined = active ?? last;
    if (!point) {
      return { stateName: String(this.definition.StartAt), input: JSON.parse(record.input) as JsonValue };
    }
    let replay: TaskOutcome | undefined;
    if (active && this.tasks.has(point.name)) {
      for (const e of record.events.slice(point.from + 1)) {
        if (e.stateName !== point.name) continue;
        const d = (e.details ?? {}) as { output?: string; error?: string; cause?: string };
        if ((e.type === 'TaskSucceeded' || e.type === 'LambdaFunctionSucceeded') && d.output !== undefined) {
          replay = { output: JSON.parse(d.output) as JsonValue };
        } else if (e.type === 'TaskFailed' || e.type === 'LambdaFunctionFailed') {
          replay = { error: d.error ?? '', cause: d.cause ?? '' };
        } else {
          // A new attempt, a retry or the library's own failure record: the outcome was acted upon.
          replay = undefined;
        }
      }
    }
    return { stateName: point.name, input: point.input, ...(replay ? { replay } : {}) };
  }

  /** Resumes a journaled RUNNING execution (at-least-once for the interrupted step). */
  private resume(record: ExecutionRecord): void {
    const { stateName, input, replay } = this.resumePoint(record);
    const definition = jsonCopy(this.definition);
    // The execution's TimeoutSeconds counts from its original start, across restarts.
    if (typeof definition.TimeoutSeconds === 'number') {
      const remaining = definition.TimeoutSeconds - (Date.now() - record.startDate.getTime()) / 1000;
      if (remaining <= 0) {
        this.addEvent(record, 'ExecutionTimeout', undefined, {});
        this.finish(record, 'TIMED_OUT', {});
        this.journal?.flush(record.name);
        record.settle();
        this.log(`execution ${record.executionArn} timed out while the region was down`);
        return;
      }
      definition.TimeoutSeconds = remaining;
    }
    definition.StartAt = stateName;
    record.redriveCount += 1;
    record.redriveDate = new Date();
    if (replay) record.replay = { stateName, outcome: replay };
    this.addEvent(record, 'ExecutionResumed', stateName, {
      redriveCount: record.redriveCount,
      input,
      replayedTaskOutcome: replay !== undefined,
    });
    this.journal?.flush(record.name);
    this.log(
      `resuming execution ${record.executionArn} at ${stateName}${replay ? ' (replaying its outcome)' : ''}`,
    );
    // The definition was validated at construction; a copy with another StartAt needs no second pass.
    const machine = new StateMachine(definition as never, { validationOptions: { noValidate: true } });
    this.launch(record, machine, input, true);
  }
}

/** The saga's runner is a LocalStateMachine over the saga definition. */
export { LocalStateMachine as SagaRunner };
