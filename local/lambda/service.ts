import { randomBytes, randomUUID } from 'node:crypto';
import type { FunctionModel } from '../assembly/model';
import {
  AsyncInvokeQueue,
  DEFAULT_MAX_EVENT_AGE_SECONDS,
  DEFAULT_MAX_RETRIES,
  type AsyncConfig,
  type AsyncEvent,
  type AsyncResponse,
  type DestinationRecord,
} from './async-queue';
import { LambdaError } from './errors';
import { FunctionPool, type ThrottleMode } from './pool';
import type { RapidError, SandboxOutcome, SandboxRequest, SandboxSpec } from './sandbox';

/** Synchronous (RequestResponse) payload limit, request and response: 6 MB. */
export const SYNC_PAYLOAD_LIMIT = 6 * 1024 * 1024;
/** Asynchronous (Event) payload limit: 1 MB. */
export const ASYNC_PAYLOAD_LIMIT = 1024 * 1024;
/** The response limit as Lambda states it in `Function.ResponseSizeTooLarge`. */
const RESPONSE_LIMIT_STATED = 6_291_556;
const DEFAULT_CONCURRENCY = 10;
const DEFAULT_IDLE_TIMEOUT_MS = 5 * 60_000;

/** Options of `LambdaService`. */
export interface LambdaServiceOptions {
  region: string;
  accountId: string;
  functions: readonly FunctionModel[];
  /** More variables per function (AWS_ENDPOINT_URL_* …); they override everything else. */
  extraEnvironment?: (fn: FunctionModel) => Record<string, string>;
  /** Divides function timeouts and async retry delays/event age. @default 1 */
  timeScale?: number;
  /** Concurrent invocations per function without reserved concurrency. @default 10 */
  concurrencyLimit?: number;
  /** An idle execution environment is terminated after this long. @default 300000 (5 minutes) */
  idleTimeoutMs?: number;
  /** Delivers async-invoke destination records (the ARN of an SQS queue, SNS topic, function or bus). */
  sendToDestination?: (arn: string, record: DestinationRecord) => Promise<void>;
  /** Function output (one call per log record) and runtime lines (START/END/REPORT, timeouts). */
  log?: (fn: string, line: string) => void;
  /** When set, queued async events are journaled under it and survive a kill of the process. */
  dir?: string;
  /** Clock for async event ages and destination timestamps. @default Date.now */
  now?: () => number;
}

/** Options of one synchronous invocation. */
export interface InvokeOptions {
  /**
   * Beyond the concurrency limit: 'queue' waits for a free slot in FIFO order; 'reject' throws
   * TooManyRequestsException as AWS does for a synchronous invoke. @default 'queue'
   */
  throttle?: ThrottleMode;
  /** 'Tail' returns the last 4 KB of the invocation's log, base64, in `logResult`. */
  logType?: 'None' | 'Tail';
  /** The `context.clientContext` the handler sees. */
  clientContext?: unknown;
  /** Aborts waiting for a concurrency slot (a running invocation is not interrupted). */
  signal?: AbortSignal;
}

/** The answer of a synchronous invocation, as Lambda's Invoke API gives it. */
export interface InvokeResult {
  statusCode: 200;
  /** The function's response, parsed (on a function error: `{ errorType, errorMessage, trace }`). */
  payload: unknown;
  /** The response exactly as the function serialized it. */
  payloadJson: string;
  functionError?: 'Unhandled';
  errorType?: string;
  errorMessage?: string;
  executedVersion: string;
  coldStart: boolean;
  /** The handler's run time (init excluded), milliseconds. */
  durationMs: number;
  /** Cold starts only: the init phase (worker start and bundle load), milliseconds. */
  initDurationMs?: number;
  requestId: string;
  /** `logType: 'Tail'` only: the last 4 KB of the invocation's log, base64. */
  logResult?: string;
}

/** Per-function counters. */
export interface FunctionStats {
  function: string;
  invocations: number;
  errors: number;
  throttles: number;
  coldStarts: number;
  /** Invocations holding a concurrency slot now. */
  running: number;
  /** Idle execution environments (warm). */
  warm: number;
  /** Synchronous invocations waiting for a slot. */
  queued: number;
  /** Async events accepted and not yet finished. */
  asyncPending: number;
}

/** A function reference resolved to a function and a qualifier. */
interface Target {
  fn: FunctionModel;
  qualifier?: string;
  executedVersion: string;
  invokedFunctionArn: string;
}

/** Locally every function has one published version, `1`, which its aliases point to. */
const PUBLISHED_VERSION = '1';

/** The name a function is invoked by: its `FunctionName`, else its logical id. */
function nameOf(fn: FunctionModel): string {
  return fn.functionName ?? fn.logicalId;
}

function traceId(): string {
  const epoch = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=0`;
}

function logStreamName(): string {
  const d = new Date();
  const day = `${d.getUTCFullYear()}/${String(d.getUTCMonth() + 1).padStart(2, '0')}/${String(d.getUTCDate()).padStart(2, '0')}`;
  return `${day}/[$LATEST]${randomBytes(16).toString('hex')}`;
}

function errorPayload(error: RapidError): string {
  return JSON.stringify(error);
}

/**
 * The local Lambda service of one region: every function of the assembly, each invocation in a worker
 * thread with the function's own environment, warm pools, concurrency limits, timeouts and Lambda's
 * asynchronous invocation queue with retries and destinations.
 */
export class LambdaService {
  private readonly functions: readonly FunctionModel[];
  private readonly byLogicalId = new Map<string, FunctionModel>();
  private readonly byName = new Map<string, FunctionModel>();
  private readonly pools = new Map<string, FunctionPool>();
  private readonly timeScale: number;
  private readonly asyncQueue: AsyncInvokeQueue;
  private closed = false;

  constructor(private readonly opts: LambdaServiceOptions) {
    this.timeScale = opts.timeScale ?? 1;
    if (!(this.timeScale > 0)) throw new Error(`timeScale must be > 0, got ${this.timeScale}`);
    this.functions = opts.functions;
    const concurrency = opts.concurrencyLimit ?? DEFAULT_CONCURRENCY;
    const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    for (const fn of this.functions) {
      this.byLogicalId.set(fn.logicalId, fn);
      this.byName.set(nameOf(fn), fn);
      const arnName = fn.arn.split(':')[6];
      if (arnName && !this.byName.has(arnName)) this.byName.set(arnName, fn);
      const reserved = fn.reservedConcurrency;
      this.pools.set(
        fn.logicalId,
        new FunctionPool(
          reserved ?? concurrency,
          reserved !== undefined
            ? 'ReservedFunctionConcurrentInvocationLimitExceeded'
            : 'ConcurrentInvocationLimitExceeded',
          idleTimeoutMs,
          () => this.sandboxSpec(fn),
        ),
      );
    }
    this.asyncQueue = new AsyncInvokeQueue({
      timeScale: this.timeScale,
      now: opts.now ?? Date.now,
      config: (key, qualifier) => this.asyncConfig(key, qualifier),
      run: (event, signal) => this.runAsync(event, signal),
      ...(opts.sendToDestination ? { sendToDestination: opts.sendToDestination } : {}),
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.dir ? { dir: opts.dir } : {}),
    });
  }

  /**
   * The function a reference names: function name, logical id, ARN or partial ARN, optionally
   * qualified (`:live`, `:$LATEST`, `:1`); undefined when no such function (or alias) exists here.
   */
  resolve(ref: string): FunctionModel | undefined {
    return this.target(ref)?.fn;
  }

  /** Invokes a function synchronously (RequestResponse). Function errors come back in the result. */
  async invoke(ref: string, payload: unknown, opts: InvokeOptions = {}): Promise<InvokeResult> {
    const json = payload === undefined ? '{}' : JSON.stringify(payload);
    return this.invokeJson(ref, json, opts);
  }

  /** Like `invoke`, with the payload as JSON text (what the Invoke API receives on the wire). */
  async invokeJson(
    ref: string,
    payloadJson: string,
    opts: InvokeOptions & { qualifier?: string } = {},
  ): Promise<InvokeResult> {
    const target = this.targetOrThrow(ref, opts.qualifier);
    if (Buffer.byteLength(payloadJson, 'utf8') > SYNC_PAYLOAD_LIMIT) {
      throw new LambdaError(
        'RequestTooLargeException',
        `Request must be smaller than ${SYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`,
      );
    }
    return this.execute(target, payloadJson.trim() === '' ? '{}' : payloadJson, opts);
  }

  /** Invokes a function asynchronously (Event): queued, retried and sent to destinations like AWS. */
  invokeAsync(ref: string, payload: unknown, opts: { qualifier?: string } = {}): { requestId: string } {
    return this.invokeAsyncJson(ref, payload === undefined ? '{}' : JSON.stringify(payload), opts);
  }

  /** Like `invokeAsync`, with the payload as JSON text. */
  invokeAsyncJson(
    ref: string,
    payloadJson: string,
    opts: { qualifier?: string } = {},
  ): { requestId: string } {
    const target = this.targetOrThrow(ref, opts.qualifier);
    if (Buffer.byteLength(payloadJson, 'utf8') > ASYNC_PAYLOAD_LIMIT) {
      throw new LambdaError(
        'RequestTooLargeException',
        `Request must be smaller than ${ASYNC_PAYLOAD_LIMIT} bytes for the InvokeFunction operation`,
      );
    }
    if (this.closed) throw new LambdaError('ServiceException', 'The Lambda service is closed.');
    const requestId = randomUUID();
    this.asyncQueue.enqueue({
      id: requestId,
      functionKey: target.fn.logicalId,
      ...(target.qualifier !== undefined ? { qualifier: target.qualifier } : {}),
      payloadJson: payloadJson.trim() === '' ? '{}' : payloadJson,
    });
    return { requestId };
  }

  /** Throws ResourceNotFoundException unless the reference names a function (DryRun). */
  check(ref: string, qualifier?: string): void {
    this.targetOrThrow(ref, qualifier);
  }

  /** Counters per function. */
  stats(): FunctionStats[] {
    return this.functions.map((fn) => {
      const pool = this.pools.get(fn.logicalId) as FunctionPool;
      return {
        function: nameOf(fn),
        ...pool.counters,
        running: pool.running,
        warm: pool.warm,
        queued: pool.queued,
        asyncPending: this.asyncQueue.pending(fn.logicalId),
      };
    });
  }

  /** Terminates every execution environment and stops the async queue. */
  async close(): Promise<void> {
    this.closed = true;
    this.asyncQueue.close();
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }

  private targetOrThrow(ref: string, qualifier?: string): Target {
    const target = this.target(ref, qualifier);
    if (!target) {
      throw new LambdaError(
        'ResourceNotFoundException',
        `Function not found: ${this.arnFor(ref, qualifier)}`,
      );
    }
    return target;
  }

  private arnFor(ref: string, qualifier?: string): string {
    const q = qualifier !== undefined ? `:${qualifier}` : '';
    if (ref.startsWith('arn:')) return `${ref}${q}`;
    const partial = /^\d{12}:function:/.test(ref) ? ref : `${this.opts.accountId}:function:${ref}`;
    return `arn:aws:lambda:${this.opts.region}:${partial}${q}`;
  }

  private target(ref: string, explicitQualifier?: string): Target | undefined {
    let name: string | undefined;
    let qualifier: string | undefined;
    const parts = ref.split(':');
    if (ref.startsWith('arn:')) {
      // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
      if (parts.length < 7 || parts.length > 8 || parts[2] !== 'lambda' || parts[5] !== 'function')
        return undefined;
      if (parts[3] !== this.opts.region || parts[4] !== this.opts.accountId) return undefined;
      name = parts[6];
      qualifier = parts[7];
    } else if (parts.length >= 3 && parts[1] === 'function') {
      // <account>:function:<name>[:<qualifier>]
      if (parts[0] !== this.opts.accountId || parts.length > 4) return undefined;
      name = parts[2];
      qualifier = parts[3];
    } else {
      if (parts.length > 2) return undefined;
      name = parts[0];
      qualifier = parts[1];
    }
    if (explicitQualifier !== undefined) {
      if (qualifier !== undefined && qualifier !== explicitQualifier) {
        throw new LambdaError(
          'InvalidParameterValueException',
          'The derived qualifier from the function name does not match the specified qualifier.',
        );
      }
      qualifier = explicitQualifier;
    }
    const fn = name ? (this.byName.get(name) ?? this.byLogicalId.get(name)) : undefined;
    if (!fn) return undefined;
    let executedVersion = '$LATEST';
    if (qualifier !== undefined && qualifier !== '$LATEST') {
      if (qualifier === PUBLISHED_VERSION || fn.aliases.some((a) => a.name === qualifier)) {
        executedVersion = PUBLISHED_VERSION;
      } else {
        return undefined;
      }
    }
    return {
      fn,
      ...(qualifier !== undefined ? { qualifier } : {}),
      executedVersion,
      invokedFunctionArn: qualifier !== undefined ? `${fn.arn}:${qualifier}` : fn.arn,
    };
  }

  private buildEnv(fn: FunctionModel, streamName: string): Record<string, string> {
    const name = nameOf(fn);
    // NODE_OPTIONS would be parsed by the worker (a --require there could break it); source maps are
    // turned on by the runner instead.
    const { NODE_OPTIONS: _nodeOptions, ...modelEnv } = fn.environment;
    return {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      LANG: 'en_US.UTF-8',
      ...modelEnv,
      // Lambda's reserved variables: a template cannot set them, so they win over the model's.
      AWS_REGION: this.opts.region,
      AWS_DEFAULT_REGION: this.opts.region,
      AWS_LAMBDA_FUNCTION_NAME: name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: streamName,
      AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
      _HANDLER: fn.handler,
      AWS_EXECUTION_ENV: `AWS_Lambda_${fn.runtime.startsWith('nodejs') ? fn.runtime : 'nodejs22.x'}`,
      LAMBDA_TASK_ROOT: fn.assetPath,
      TZ: ':UTC',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_SESSION_TOKEN: 'local',
      ...(this.opts.extraEnvironment?.(fn) ?? {}),
    };
  }

  private sandboxSpec(fn: FunctionModel): SandboxSpec {
    const name = nameOf(fn);
    const stream = logStreamName();
    const log = this.opts.log;
    return {
      functionName: name,
      handler: fn.handler,
      taskRoot: fn.assetPath,
      memoryMb: fn.memoryMb,
      env: this.buildEnv(fn, stream),
      logGroupName: `/aws/lambda/${name}`,
      logStreamName: stream,
      sourceMaps: /--enable-source-maps\b/.test(fn.environment.NODE_OPTIONS ?? ''),
      ...(log ? { log: (line: string) => log(name, line) } : {}),
    };
  }

  private async execute(target: Target, payloadJson: string, opts: InvokeOptions): Promise<InvokeResult> {
    if (this.closed) throw new LambdaError('ServiceException', 'The Lambda service is closed.');
    const { fn } = target;
    const pool = this.pools.get(fn.logicalId) as FunctionPool;
    await pool.acquire(opts.throttle ?? 'queue', opts.signal);
    try {
      const requestId = randomUUID();
      const { sandbox, cold } = pool.take();
      pool.counters.invocations += 1;
      if (cold) pool.counters.coldStarts += 1;
      const request: SandboxRequest = {
        requestId,
        eventJson: payloadJson,
        functionVersion: target.executedVersion,
        invokedFunctionArn: target.invokedFunctionArn,
        timeoutMs: (fn.timeoutSeconds * 1000) / this.timeScale,
        timeoutSeconds: fn.timeoutSeconds,
        ...(opts.clientContext !== undefined ? { clientContext: opts.clientContext } : {}),
        tail: opts.logType === 'Tail',
        traceId: traceId(),
      };
      let outcome: SandboxOutcome;
      let started = performance.now();
      const initError = cold ? await sandbox.waitReady(request) : undefined;
      if (initError) {
        outcome = { ok: false, error: initError };
      } else {
        started = performance.now();
        outcome = await sandbox.invoke(request);
      }
      const durationMs = performance.now() - started;
      pool.putBack(sandbox);
      if (outcome.ok && Buffer.byteLength(outcome.payloadJson, 'utf8') > SYNC_PAYLOAD_LIMIT) {
        outcome = {
          ok: false,
          error: {
            errorType: 'Function.ResponseSizeTooLarge',
            errorMessage: `Response payload size exceeded maximum allowed payload size (${RESPONSE_LIMIT_STATED} bytes).`,
          },
        };
      }
      if (!outcome.ok) pool.counters.errors += 1;
      const payloadOut = outcome.ok ? outcome.payloadJson : errorPayload(outcome.error);
      return {
        statusCode: 200,
        payload: JSON.parse(payloadOut) as unknown,
        payloadJson: payloadOut,
        ...(outcome.ok
          ? {}
          : {
              functionError: 'Unhandled' as const,
              errorType: outcome.error.errorType,
              errorMessage: outcome.error.errorMessage,
            }),
        executedVersion: target.executedVersion,
        coldStart: cold,
        durationMs,
        ...(cold && sandbox.initDurationMs !== undefined ? { initDurationMs: sandbox.initDurationMs } : {}),
        requestId,
        ...(opts.logType === 'Tail'
          ? { logResult: Buffer.from(outcome.logTail ?? '', 'utf8').toString('base64') }
          : {}),
      };
    } finally {
      pool.release();
    }
  }

  private asyncConfig(functionKey: string, qualifier: string | undefined): AsyncConfig | undefined {
    const fn = this.byLogicalId.get(functionKey);
    if (!fn) return undefined;
    // An EventInvokeConfig applies to its own qualifier only (`live`); other invocations get the defaults.
    const configured = fn.asyncInvoke;
    const sameQualifier = (configured?.qualifier ?? '$LATEST') === (qualifier ?? '$LATEST');
    const cfg = sameQualifier ? configured : undefined;
    return {
      functionName: nameOf(fn),
      functionArn: fn.arn,
      maxRetries: cfg?.maximumRetryAttempts ?? DEFAULT_MAX_RETRIES,
      maxEventAgeMs: ((cfg?.maximumEventAgeSeconds ?? DEFAULT_MAX_EVENT_AGE_SECONDS) * 1000) / this.timeScale,
      ...(cfg?.onSuccess ? { onSuccess: cfg.onSuccess.arn } : {}),
      ...(cfg?.onFailure ? { onFailure: cfg.onFailure.arn } : {}),
    };
  }

  private async runAsync(event: AsyncEvent, signal: AbortSignal): Promise<AsyncResponse> {
    const target = this.target(event.functionKey, event.qualifier);
    if (!target)
      throw new LambdaError('ResourceNotFoundException', `Function not found: ${event.functionKey}`);
    const result = await this.execute(target, event.payloadJson, { throttle: 'queue', signal });
    return {
      payloadJson: result.payloadJson,
      executedVersion: result.executedVersion,
      ...(result.functionError !== undefined ? { functionError: result.functionError } : {}),
    };
  }
}
