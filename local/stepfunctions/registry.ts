import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StateMachineModel } from '../assembly/model';
import type { JsonValue } from './definition';
import { StepFunctionsError } from './errors';
import { toAwsHistory, type AwsHistoryEvent } from './history';
import {
  LocalStateMachine,
  type DescribeExecutionOutput,
  type ExecutionCounts,
  type ExecutionStatus,
  type LocalStateMachineOptions,
  type StartExecutionOutput,
} from './state-machine';

export interface LocalStepFunctionsOptions {
  readonly region: string;
  readonly accountId: string;
  /** The region's state machines, from the assembly model. */
  readonly machines: readonly StateMachineModel[];
  /**
   * Where executions persist: `<dir>/<state machine name>/executions/<execution name>.jsonl`, plus
   * `<dir>/<state machine name>/machine.json` (its creation date). RUNNING executions found there resume.
   * @default in memory
   */
  readonly dir?: string;
  /** Divides every duration of the definitions. @default 1 */
  readonly timeScale?: number;
  readonly invokeFunction: NonNullable<LocalStateMachineOptions['invokeFunction']>;
  readonly sendMessage: NonNullable<LocalStateMachineOptions['sendMessage']>;
  readonly updateItem: NonNullable<LocalStateMachineOptions['updateItem']>;
  readonly log?: (line: string) => void;
}

/** Executions of one state machine by status (`meridian status`). */
export interface StateMachineStats extends ExecutionCounts {
  /** The state machine's name. */
  readonly stateMachine: string;
}

export interface Page {
  /** 1–1000; 0 or absent: 100. */
  readonly maxResults?: number;
  readonly nextToken?: string;
}

export interface GetExecutionHistoryRequest extends Page {
  readonly reverseOrder?: boolean;
  /** @default true */
  readonly includeExecutionData?: boolean;
}

export interface ListExecutionsRequest extends Page {
  readonly statusFilter?: ExecutionStatus;
}

export interface ExecutionListItem {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: Date;
  readonly stopDate?: Date;
  readonly redriveCount?: number;
  readonly redriveDate?: Date;
}

export interface StateMachineDescription {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: 'ACTIVE';
  /** The definition as the template has it (durations unscaled), a JSON string. */
  readonly definition: string;
  readonly roleArn: string;
  readonly type: string;
  readonly creationDate: Date;
}

export interface StateMachineListItem {
  readonly stateMachineArn: string;
  readonly name: string;
  readonly type: string;
  readonly creationDate: Date;
}

const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:\s]+(:[^:\s]+)?$/;
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:\s]+:[^:\s]+$/;
/** The shape of the tokens LocalStateMachine issues (32 random bytes, base64url). */
const TASK_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const DEFAULT_PAGE = 100;
const MAX_PAGE = 1000;
const STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

interface Entry {
  readonly model: StateMachineModel;
  readonly runner: LocalStateMachine;
  readonly creationDate: Date;
  readonly roleArn: string;
}

function invalidArn(arn: string): StepFunctionsError {
  return new StepFunctionsError('InvalidArn', `Invalid Arn: '${arn}'`);
}

function pageSize(maxResults: number | undefined): number {
  if (maxResults === undefined || maxResults === 0) return DEFAULT_PAGE;
  if (!Number.isInteger(maxResults) || maxResults < 0 || maxResults > MAX_PAGE) {
    throw new StepFunctionsError(
      'ValidationException',
      `1 validation error detected: Value '${maxResults}' at 'maxResults' failed to satisfy constraint: ` +
        `Member must have value less than or equal to ${MAX_PAGE}`,
    );
  }
  return maxResults;
}

/** Opaque page tokens: the listing they continue (`key`) and where. */
function encodeToken(key: string, offset: number): string {
  return Buffer.from(JSON.stringify({ k: key, o: offset })).toString('base64url');
}

function decodeToken(token: string | undefined, key: string): number {
  if (token === undefined || token === '') return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      k?: unknown;
      o?: unknown;
    };
    if (parsed.k === key && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) {
      return parsed.o;
    }
  } catch {
    // Falls through to the API's error.
  }
  throw new StepFunctionsError('InvalidToken', `Invalid Token: '${token}'`);
}

function paginate<T>(items: readonly T[], key: string, page: Page): { items: T[]; nextToken?: string } {
  const size = pageSize(page.maxResults);
  const offset = decodeToken(page.nextToken, key);
  const slice = items.slice(offset, offset + size);
  const next = offset + size;
  return { items: slice, ...(next < items.length ? { nextToken: encodeToken(key, next) } : {}) };
}

/**
 * A region's Step Functions: its state machines (from the assembly), each run by a LocalStateMachine, behind
 * the API's operations (the HTTP server and the EventBridge `states` target call these methods). Errors are
 * StepFunctionsError with the API's error names.
 */
export class LocalStepFunctions {
  /** Diagnostics (the options' `log`); the HTTP server logs its internal failures here too. */
  readonly log: (line: string) => void;
  private readonly byArn = new Map<string, Entry>();
  private closed = false;

  constructor(options: LocalStepFunctionsOptions) {
    const log = options.log ?? (() => undefined);
    this.log = log;
    for (const model of options.machines) {
      const machineDir = options.dir === undefined ? undefined : join(options.dir, model.name);
      const runner = new LocalStateMachine({
        definition: model.definition,
        stateMachineArn: model.arn,
        invokeFunction: options.invokeFunction,
        sendMessage: options.sendMessage,
        updateItem: options.updateItem,
        ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
        ...(machineDir !== undefined ? { dir: join(machineDir, 'executions') } : {}),
        log: (line) => log(`${model.name}: ${line}`),
      });
      this.byArn.set(model.arn, {
        model,
        runner,
        creationDate: machineDir === undefined ? new Date() : creationDateIn(machineDir),
        // The model does not carry the template's role; this is the name the console would give it.
        roleArn: `arn:aws:iam::${options.accountId}:role/service-role/StepFunctions-${model.name}-role`,
      });
    }
  }

  // ------------------------------------------------------------------ executions

  /** StartExecution: idempotent by name while RUNNING with the same input (ExecutionAlreadyExists otherwise). */
  startExecution(
    stateMachineArn: string,
    request: { name?: string; input?: string | JsonValue } = {},
  ): StartExecutionOutput {
    return this.machine(stateMachineArn).runner.startExecution(request);
  }

  describeExecution(executionArn: string): DescribeExecutionOutput {
    return this.machineOfExecution(executionArn).runner.describeExecution(executionArn);
  }

  /** The execution's history in the API's event shapes, a page at a time. */
  getExecutionHistory(
    executionArn: string,
    request: GetExecutionHistoryRequest = {},
  ): { events: AwsHistoryEvent[]; nextToken?: string } {
    const entry = this.machineOfExecution(executionArn);
    const all = toAwsHistory(entry.runner.getExecutionHistory(executionArn), {
      includeExecutionData: request.includeExecutionData ?? true,
      roleArn: entry.roleArn,
    });
    if (request.reverseOrder) all.reverse();
    const page = paginate(all, `h|${executionArn}|${request.reverseOrder ? 'r' : 'f'}`, request);
    return { events: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  /** The state machine's executions, most recent first. */
  listExecutions(
    stateMachineArn: string,
    request: ListExecutionsRequest = {},
  ): { executions: ExecutionListItem[]; nextToken?: string } {
    const entry = this.machine(stateMachineArn);
    if (request.statusFilter !== undefined && !STATUSES.includes(request.statusFilter)) {
      throw new StepFunctionsError(
        'ValidationException',
        `1 validation error detected: Value '${String(request.statusFilter)}' at 'statusFilter' failed to ` +
          `satisfy constraint: Member must satisfy enum value set: [${STATUSES.join(', ')}]`,
      );
    }
    const all = entry.runner
      .listExecutions(request.statusFilter)
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime() || b.name.localeCompare(a.name))
      .map((e): ExecutionListItem => ({
        executionArn: e.executionArn,
        stateMachineArn: e.stateMachineArn,
        name: e.name,
        status: e.status,
        startDate: e.startDate,
        ...(e.stopDate ? { stopDate: e.stopDate } : {}),
        ...(e.redriveCount !== undefined ? { redriveCount: e.redriveCount, redriveDate: e.redriveDate } : {}),
      }));
    const page = paginate(all, `e|${stateMachineArn}|${request.statusFilter ?? ''}`, request);
    return { executions: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  stopExecution(executionArn: string, request: { error?: string; cause?: string } = {}): { stopDate: Date } {
    return this.machineOfExecution(executionArn).runner.stopExecution(executionArn, request);
  }

  /** Resolves when the execution has closed (tests, and callers that need its result). */
  waitForExecution(executionArn: string): Promise<DescribeExecutionOutput> {
    return this.machineOfExecution(executionArn).runner.waitForExecution(executionArn);
  }

  // ------------------------------------------------------------------ task tokens

  sendTaskSuccess(taskToken: string, output: string | JsonValue): void {
    this.machineOfToken(taskToken).sendTaskSuccess(taskToken, output);
  }

  sendTaskFailure(taskToken: string, request: { error?: string; cause?: string } = {}): void {
    this.machineOfToken(taskToken).sendTaskFailure(taskToken, request.error, request.cause);
  }

  sendTaskHeartbeat(taskToken: string): void {
    this.machineOfToken(taskToken).sendTaskHeartbeat(taskToken);
  }

  // ------------------------------------------------------------------ state machines

  describeStateMachine(stateMachineArn: string): StateMachineDescription {
    const entry = this.machine(stateMachineArn);
    return {
      stateMachineArn: entry.model.arn,
      name: entry.model.name,
      status: 'ACTIVE',
      definition: JSON.stringify(entry.model.definition),
      roleArn: entry.roleArn,
      type: entry.model.type,
      creationDate: entry.creationDate,
    };
  }

  listStateMachines(request: Page = {}): { stateMachines: StateMachineListItem[]; nextToken?: string } {
    const all = [...this.byArn.values()]
      .map((e) => ({
        stateMachineArn: e.model.arn,
        name: e.model.name,
        type: e.model.type,
        creationDate: e.creationDate,
      }))
      .sort((a, b) => a.name.localeCompare(b.name));
    const page = paginate(all, 'm', request);
    return { stateMachines: page.items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
  }

  /** Executions by status, per state machine. */
  stats(): StateMachineStats[] {
    return [...this.byArn.values()].map((e) => ({ stateMachine: e.model.name, ...e.runner.counts() }));
  }

  /**
   * Stops the in-process runs without recording anything (as a process exit would): RUNNING executions stay
   * RUNNING on disk and resume when a registry is built on the same `dir`.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const e of this.byArn.values()) e.runner.close();
  }

  // ------------------------------------------------------------------ lookups

  private machine(stateMachineArn: string): Entry {
    if (typeof stateMachineArn !== 'string' || !STATE_MACHINE_ARN.test(stateMachineArn)) {
      throw invalidArn(String(stateMachineArn));
    }
    const entry = this.byArn.get(stateMachineArn);
    if (!entry) {
      throw new StepFunctionsError(
        'StateMachineDoesNotExist',
        `State Machine Does Not Exist: '${stateMachineArn}'`,
      );
    }
    return entry;
  }

  private machineOfExecution(executionArn: string): Entry {
    if (typeof executionArn !== 'string' || !EXECUTION_ARN.test(executionArn)) {
      throw invalidArn(String(executionArn));
    }
    const machineArn = executionArn
      .slice(0, executionArn.lastIndexOf(':'))
      .replace(':execution:', ':stateMachine:');
    const entry = this.byArn.get(machineArn);
    if (!entry) {
      throw new StepFunctionsError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    }
    return entry;
  }

  private machineOfToken(taskToken: string): LocalStateMachine {
    if (typeof taskToken !== 'string' || !TASK_TOKEN.test(taskToken)) {
      throw new StepFunctionsError('InvalidToken', 'Invalid Token: the task token is malformed');
    }
    for (const entry of this.byArn.values()) if (entry.runner.knowsToken(taskToken)) return entry.runner;
    throw new StepFunctionsError('TaskDoesNotExist', 'Task Does Not Exist');
  }
}

/** The state machine's creation date, kept in `<dir>/machine.json` from the first run on. */
function creationDateIn(dir: string): Date {
  const file = join(dir, 'machine.json');
  if (existsSync(file)) {
    try {
      const { creationDate } = JSON.parse(readFileSync(file, 'utf8')) as { creationDate?: unknown };
      if (typeof creationDate === 'number') return new Date(creationDate);
    } catch {
      // Unreadable: written again below.
    }
  }
  const now = new Date();
  mkdirSync(dir, { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ creationDate: now.getTime() }));
  renameSync(tmp, file);
  return now;
}
