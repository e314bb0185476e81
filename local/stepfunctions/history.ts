import type { HistoryEvent } from './state-machine';

/** One event as GetExecutionHistory returns it: `<type>EventDetails` (camel case) beside the common fields. */
export interface AwsHistoryEvent {
  readonly timestamp: Date;
  readonly type: string;
  readonly id: number;
  readonly previousEventId: number;
  readonly [detailsKey: string]: unknown;
}

export interface AwsHistoryOptions {
  /** When false, inputs, outputs and task parameters are left out (the API's `includeExecutionData`). */
  readonly includeExecutionData: boolean;
  /** Reported in ExecutionStarted. */
  readonly roleArn: string;
}

type Details = Record<string, unknown>;
interface StateData {
  name?: string;
  type?: string;
  input?: unknown;
  output?: unknown;
}

const NOT_TRUNCATED = { truncated: false };
/** Data fields `includeExecutionData: false` removes, with their `…Details` companions. */
const DATA_FIELDS = ['input', 'inputDetails', 'output', 'outputDetails', 'parameters'];

function detailsKey(type: string): string {
  return `${type[0]!.toLowerCase()}${type.slice(1)}EventDetails`;
}

function json(value: unknown): string {
  return JSON.stringify(value ?? null);
}

/**
 * Maps the runner's history (the library's event log plus the task events LocalStateMachine records) to the
 * Step Functions API's event types and details: `<StateType>StateEntered/Exited`, Task*, LambdaFunction*,
 * Parallel/Map state and iteration events, Execution*. The library's StateRetried/StateCaught have no AWS
 * event (a retry shows as a new TaskScheduled) and are left out; a resume after a restart is reported as
 * ExecutionRedriven. Ids are renumbered from 1 and `previousEventId` is the preceding event.
 */
export function toAwsHistory(events: readonly HistoryEvent[], options: AwsHistoryOptions): AwsHistoryEvent[] {
  const out: { timestamp: Date; type: string; details?: Details }[] = [];
  const emit = (timestamp: Date, type: string, details?: Details) =>
    out.push({ timestamp, type, ...(details ? { details } : {}) });
  /** Parallel / Map states entered whose Started event is still to come. */
  const awaitingStart = new Set<string>();
  /** Parallel / Map states that failed since they were entered (no Succeeded before their exit). */
  const failedStates = new Set<string>();

  events.forEach((event, i) => {
    const d = (event.details ?? {}) as Details & {
      state?: StateData;
      parentState?: StateData;
      index?: number;
    };
    const at = event.timestamp;
    const state = d.state ?? {};
    switch (event.type) {
      case 'ExecutionStarted':
        emit(at, 'ExecutionStarted', {
          input: json(d.input),
          inputDetails: NOT_TRUNCATED,
          roleArn: options.roleArn,
        });
        return;
      case 'ExecutionSucceeded':
        emit(at, 'ExecutionSucceeded', { output: json(d.output), outputDetails: NOT_TRUNCATED });
        return;
      case 'ExecutionFailed':
        emit(at, 'ExecutionFailed', { error: d.Error, cause: d.Cause });
        return;
      case 'ExecutionAborted':
        emit(at, 'ExecutionAborted', { error: d.error, cause: d.cause });
        return;
      case 'ExecutionTimeout':
        emit(at, 'ExecutionTimedOut', { error: 'States.Timeout', cause: 'The execution timed out' });
        return;
      case 'ExecutionResumed':
        emit(at, 'ExecutionRedriven', { redriveCount: d.redriveCount });
        return;
      case 'StateEntered':
        if (state.type === 'Parallel' || state.type === 'Map') {
          awaitingStart.add(String(state.name));
          failedStates.delete(String(state.name));
        }
        emit(at, `${state.type}StateEntered`, {
          name: state.name,
          input: json(state.input),
          inputDetails: NOT_TRUNCATED,
        });
        return;
      case 'StateExited': {
        const name = String(state.name);
        if (state.type === 'Map' && awaitingStart.delete(name)) emit(at, 'MapStateStarted', { length: 0 });
        if ((state.type === 'Parallel' || state.type === 'Map') && !failedStates.delete(name)) {
          emit(at, `${state.type}StateSucceeded`);
        }
        emit(at, `${state.type}StateExited`, {
          name,
          output: json(state.output),
          outputDetails: NOT_TRUNCATED,
        });
        return;
      }
      case 'StateFailed':
        // A Task's failure is its own Task*/LambdaFunction* event; other states fail the execution directly.
        if (state.type === 'Parallel' || state.type === 'Map') {
          failedStates.add(String(state.name));
          emit(at, `${state.type}StateFailed`);
        }
        return;
      case 'StateRetried':
        if (state.type === 'Parallel' || state.type === 'Map') awaitingStart.add(String(state.name));
        return;
      case 'ParallelBranchStarted':
        if (awaitingStart.delete(String(d.parentState?.name))) emit(at, 'ParallelStateStarted');
        return;
      case 'MapIterationStarted': {
        const name = String(d.parentState?.name);
        if (awaitingStart.delete(name)) {
          emit(at, 'MapStateStarted', { length: iterationsOf(events, i, name) });
        }
        emit(at, 'MapIterationStarted', { name, index: d.index });
        return;
      }
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        emit(at, event.type, { name: d.parentState?.name, index: d.index });
        return;
      case 'ParallelBranchSucceeded':
      case 'ParallelBranchFailed':
      case 'StateCaught':
        return;
      default:
        // Task* and LambdaFunction* events are recorded in their AWS shape already.
        emit(at, event.type, d);
    }
  });

  return out.map((e, i) => {
    const details = e.details ? withData(e.details, options.includeExecutionData) : undefined;
    return {
      timestamp: e.timestamp,
      type: e.type,
      id: i + 1,
      previousEventId: i,
      ...(details ? { [detailsKey(detailsType(e.type))]: details } : {}),
    };
  });
}

/** The details structure's name: every `<X>StateEntered` shares `stateEnteredEventDetails`, and so on. */
function detailsType(type: string): string {
  if (type.endsWith('StateEntered')) return 'StateEntered';
  if (type.endsWith('StateExited')) return 'StateExited';
  return type;
}

function withData(details: Details, include: boolean): Details | undefined {
  const out: Details = {};
  for (const [k, v] of Object.entries(details)) {
    if (v === undefined) continue;
    if (!include && DATA_FIELDS.includes(k)) continue;
    out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** How many iterations the Map state `name` entered at event `from` starts (its `MapStateStarted` length). */
function iterationsOf(events: readonly HistoryEvent[], from: number, name: string): number {
  const seen = new Set<unknown>();
  for (const e of events.slice(from)) {
    const d = (e.details ?? {}) as { state?: StateData; parentState?: StateData; index?: number };
    if (e.type === 'MapIterationStarted' && d.parentState?.name === name) seen.add(d.index);
    if ((e.type === 'StateExited' || e.type === 'StateFailed') && d.state?.name === name) break;
  }
  return seen.size;
}
