import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';

/** The runner each worker executes: plain CommonJS, so it needs no TypeScript loader. */
const RUNNER_FILE = join(__dirname, 'worker.cjs');

/** AWS's limit on the init phase; a longer init is retried inside the invocation, against its timeout. */
export const INIT_LIMIT_MS = 10_000;

/** An error as the Node.js runtime reports it (the function's response body on a function error). */
export interface RapidError {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** What one execution environment needs to start. */
export interface SandboxSpec {
  functionName: string;
  handler: string;
  taskRoot: string;
  memoryMb: number;
  env: Record<string, string>;
  logGroupName: string;
  logStreamName: string;
  sourceMaps: boolean;
  /** One call per log record (a record may span lines); absent → output is discarded. */
  log?: (line: string) => void;
}

/** One invocation as sent to the sandbox. */
export interface SandboxRequest {
  requestId: string;
  eventJson: string;
  functionVersion: string;
  invokedFunctionArn: string;
  /** Real milliseconds until the sandbox is killed. */
  timeoutMs: number;
  /** The configured timeout, for the message AWS prints. */
  timeoutSeconds: number;
  clientContext?: unknown;
  tail: boolean;
  traceId: string;
}

/** How an invocation ended inside the sandbox. */
export type SandboxOutcome =
  { ok: true; payloadJson: string; logTail?: string } | { ok: false; error: RapidError; logTail?: string };

type WorkerMessage =
  | { type: 'ready'; initDurationMs: number }
  | { type: 'initError'; error: RapidError; initDurationMs: number }
  | {
      type: 'done';
      requestId: string;
      ok: boolean;
      payloadJson?: string;
      error?: RapidError;
      logTail?: string;
      fatal?: boolean;
    };

interface Pending {
  request: SandboxRequest;
  resolve: (outcome: SandboxOutcome) => void;
  timer: NodeJS.Timeout;
}

/** Splits a worker's output stream into records for `log` (the runtime writes `\r` for in-record newlines). */
function pipeLines(stream: Readable, log: ((line: string) => void) | undefined): void {
  if (!log) {
    stream.resume();
    return;
  }
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let nl = buffer.indexOf('\n');
    while (nl >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.length > 0) log(line.replace(/\r/g, '\n'));
      nl = buffer.indexOf('\n');
    }
  });
  stream.on('end', () => {
    if (buffer.length > 0) log(buffer.replace(/\r/g, '\n'));
    buffer = '';
  });
}

function timeoutMessage(requestId: string, seconds: number): string {
  return `RequestId: ${requestId} Error: Task timed out after ${seconds.toFixed(2)} seconds`;
}

/** One execution environment: a worker thread with the function's own `process.env`. */
export class Sandbox {
  /** Resolves with undefined once the handler is loaded, or with the init error (the sandbox is then dead). */
  readonly ready: Promise<RapidError | undefined>;
  initDurationMs?: number;
  /** Set when the sandbox can take no more invocations (killed, crashed, failed init, closed). */
  dead = false;
  /** Called once when the sandbox dies on its own (crash, timeout), so the pool forgets it. */
  onDeath?: () => void;

  private readonly worker: Worker;
  private pending?: Pending;
  private settleReady?: (error: RapidError | undefined) => void;
  private readyTimer?: NodeJS.Timeout;
  private deathError?: RapidError;
  /** The invocation that is waiting for this sandbox's init (a cold start). */
  private coldRequestId?: string;

  constructor(private readonly spec: SandboxSpec) {
    this.ready = new Promise((resolve) => (this.settleReady = resolve));
    this.worker = new Worker(RUNNER_FILE, {
      env: spec.env,
      // Never inherit the host's flags (tsx/jest loaders); NODE_OPTIONS is kept out of `env` for that reason.
      execArgv: [],
      stdout: true,
      stderr: true,
      name: `lambda:${spec.functionName}`,
      resourceLimits: { maxOldGenerationSizeMb: Math.max(spec.memoryMb, 32) },
      workerData: {
        taskRoot: spec.taskRoot,
        handler: spec.handler,
        functionName: spec.functionName,
        memoryMb: spec.memoryMb,
        logGroupName: spec.logGroupName,
        logStreamName: spec.logStreamName,
        spawnedAt: Date.now(),
        sourceMaps: spec.sourceMaps,
      },
    });
    pipeLines(this.worker.stdout, spec.log);
    pipeLines(this.worker.stderr, spec.log);
    this.worker.on('message', (msg: WorkerMessage) => this.onMessage(msg));
    this.worker.on('error', (err: Error & { code?: string }) => {
      // A listener must exist or the host would crash; the 'exit' event that follows settles the rest.
      this.deathError =
        err.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? { errorType: 'Runtime.OutOfMemory', errorMessage: 'Runtime exited with error: signal: killed' }
          : { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${err.message}` };
    });
    this.worker.on('exit', (code) => this.onExit(code));
  }

  /** Waits for init, killing the sandbox when init plus `timeoutMs` is exceeded (AWS's suppressed init). */
  async waitReady(
    request: Pick<SandboxRequest, 'requestId' | 'timeoutMs' | 'timeoutSeconds'>,
  ): Promise<RapidError | undefined> {
    if (this.initDurationMs === undefined && !this.dead && !this.readyTimer) {
      this.coldRequestId = request.requestId;
      this.readyTimer = setTimeout(() => {
        this.spec.log?.(
          `${new Date().toISOString()} ${request.requestId} Task timed out after ${request.timeoutSeconds.toFixed(2)} seconds`,
        );
        this.settleReady?.({
          errorType: 'Sandbox.Timedout',
          errorMessage: timeoutMessage(request.requestId, request.timeoutSeconds),
        });
        this.kill();
      }, INIT_LIMIT_MS + request.timeoutMs);
    }
    return this.ready;
  }

  /** Runs one invocation; never rejects: crashes and timeouts come back as outcomes. */
  invoke(request: SandboxRequest): Promise<SandboxOutcome> {
    if (this.dead) {
      return Promise.resolve({
        ok: false,
        error: {
          errorType: 'Runtime.ExitError',
          errorMessage: `RequestId: ${request.requestId} Error: Runtime exited`,
        },
      });
    }
    if (this.pending) throw new Error('a sandbox runs one invocation at a time');
    this.worker.ref();
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.timeOut(), request.timeoutMs);
      this.pending = { request, resolve, timer };
      this.worker.postMessage({
        type: 'invoke',
        requestId: request.requestId,
        eventJson: request.eventJson,
        functionVersion: request.functionVersion,
        invokedFunctionArn: request.invokedFunctionArn,
        deadline: Date.now() + request.timeoutMs,
        clientContext: request.clientContext,
        tail: request.tail,
        traceId: request.traceId,
      });
    });
  }

  /** Lets the host exit while this sandbox idles. */
  unref(): void {
    this.worker.unref();
  }

  /** Terminates the worker; a pending invocation is answered with `error` (default: Runtime.ExitError). */
  kill(error?: RapidError): Promise<void> {
    if (error) this.deathError = error;
    this.markDead();
    return this.worker.terminate().then(
      () => undefined,
      () => undefined,
    );
  }

  private timeOut(): void {
    const pending = this.pending;
    if (!pending) return;
    const { requestId, timeoutSeconds } = pending.request;
    this.pending = undefined;
    this.spec.log?.(
      `${new Date().toISOString()} ${requestId} Task timed out after ${timeoutSeconds.toFixed(2)} seconds`,
    );
    this.spec.log?.(`END RequestId: ${requestId}`);
    this.spec.log?.(
      `REPORT RequestId: ${requestId}\tDuration: ${(timeoutSeconds * 1000).toFixed(2)} ms\t` +
        `Billed Duration: ${timeoutSeconds * 1000} ms\tMemory Size: ${this.spec.memoryMb} MB\tStatus: timeout`,
    );
    pending.resolve({
      ok: false,
      error: { errorType: 'Sandbox.Timedout', errorMessage: timeoutMessage(requestId, timeoutSeconds) },
    });
    // The sandbox dies with the timed-out invocation, as on AWS: the next invocation starts cold.
    void this.kill();
  }

  private onMessage(msg: WorkerMessage): void {
    if (msg.type === 'ready') {
      this.initDurationMs = msg.initDurationMs;
      clearTimeout(this.readyTimer);
      this.settleReady?.(undefined);
      this.settleReady = undefined;
    } else if (msg.type === 'initError') {
      this.initDurationMs = msg.initDurationMs;
      clearTimeout(this.readyTimer);
      this.settleReady?.(msg.error);
      this.settleReady = undefined;
      void this.kill();
    } else if (msg.type === 'done') {
      const pending = this.pending;
      if (!pending || pending.request.requestId !== msg.requestId) return;
      clearTimeout(pending.timer);
      this.pending = undefined;
      // The runtime exits after a fatal error: never hand this sandbox out again.
      if (msg.fatal) this.markDead();
      const logTail = msg.logTail !== undefined ? { logTail: msg.logTail } : {};
      if (msg.ok) pending.resolve({ ok: true, payloadJson: msg.payloadJson ?? 'null', ...logTail });
      else
        pending.resolve({
          ok: false,
          error: msg.error ?? { errorType: 'Error', errorMessage: '' },
          ...logTail,
        });
      if (!this.dead) this.worker.unref();
    }
  }

  private onExit(code: number): void {
    this.markDead();
    clearTimeout(this.readyTimer);
    const reason =
      code === 0
        ? 'Runtime exited without providing a reason'
        : `Runtime exited with error: exit status ${code}`;
    const death = this.deathError ?? { errorType: 'Runtime.ExitError', errorMessage: reason };
    if (this.settleReady) {
      const prefix = this.coldRequestId ? `RequestId: ${this.coldRequestId} ` : '';
      this.settleReady({ ...death, errorMessage: `${prefix}Error: ${death.errorMessage}` });
      this.settleReady = undefined;
    }
    const pending = this.pending;
    if (pending) {
      clearTimeout(pending.timer);
      this.pending = undefined;
      const { requestId } = pending.request;
      this.spec.log?.(`${new Date().toISOString()} ${requestId} Error: ${death.errorMessage}`);
      this.spec.log?.(`END RequestId: ${requestId}`);
      pending.resolve({
        ok: false,
        error: {
          errorType: death.errorType,
          errorMessage: `RequestId: ${requestId} Error: ${death.errorMessage}`,
        },
      });
    }
  }

  private markDead(): void {
    if (this.dead) return;
    this.dead = true;
    this.onDeath?.();
    this.onDeath = undefined;
  }
}
