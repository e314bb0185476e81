import { LambdaError } from './errors';
import { Sandbox, type SandboxSpec } from './sandbox';

/** What happens to an invocation beyond the concurrency limit. */
export type ThrottleMode = 'queue' | 'reject';

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  cleanup: () => void;
}

/** The counters `LambdaService.stats()` reports for one function. */
export interface PoolCounters {
  invocations: number;
  errors: number;
  throttles: number;
  coldStarts: number;
}

/**
 * The execution environments of one function: a concurrency gate (a FIFO of waiting invocations) and
 * a warm pool of idle sandboxes, each terminated after `idleTimeoutMs` without work.
 */
export class FunctionPool {
  readonly counters: PoolCounters = { invocations: 0, errors: 0, throttles: 0, coldStarts: 0 };
  /** Invocations holding a concurrency slot (initialising or running). */
  running = 0;
  private readonly waiters: Waiter[] = [];
  private readonly idle: Sandbox[] = [];
  private readonly idleTimers = new Map<Sandbox, NodeJS.Timeout>();
  private readonly all = new Set<Sandbox>();
  private closed = false;

  constructor(
    readonly limit: number,
    private readonly throttleReason: string,
    private readonly idleTimeoutMs: number,
    private readonly spec: () => SandboxSpec,
  ) {}

  /** Invocations waiting for a slot. */
  get queued(): number {
    return this.waiters.length;
  }

  /** Idle sandboxes ready for a warm start. */
  get warm(): number {
    return this.idle.length;
  }

  /**
   * Takes a concurrency slot. Beyond the limit, 'reject' throws TooManyRequestsException (what AWS does
   * for a synchronous invoke) and 'queue' waits in FIFO order until a slot frees or `signal` aborts.
   */
  acquire(mode: ThrottleMode, signal?: AbortSignal): Promise<void> {
    if (this.closed)
      return Promise.reject(new LambdaError('ServiceException', 'The Lambda service is closed.'));
    if (this.running < this.limit) {
      this.running += 1;
      return Promise.resolve();
    }
    // With no concurrency at all (reserved concurrency 0) a queued invocation could never run.
    if (mode === 'reject' || this.limit === 0) {
      this.counters.throttles += 1;
      return Promise.reject(
        new LambdaError('TooManyRequestsException', 'Rate Exceeded.', this.throttleReason),
      );
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Frees a slot, handing it straight to the oldest waiter. */
  release(): void {
    const next = this.waiters.shift();
    if (next) {
      next.cleanup();
      next.resolve();
    } else {
      this.running = Math.max(0, this.running - 1);
    }
  }

  /** A warm sandbox when one idles, else a new one (a cold start). */
  take(): { sandbox: Sandbox; cold: boolean } {
    const warm = this.idle.pop();
    if (warm) {
      clearTimeout(this.idleTimers.get(warm));
      this.idleTimers.delete(warm);
      return { sandbox: warm, cold: false };
    }
    const sandbox = new Sandbox(this.spec());
    this.all.add(sandbox);
    sandbox.onDeath = () => this.forget(sandbox);
    return { sandbox, cold: true };
  }

  /** Returns a sandbox after an invocation: a live one idles (warm), a dead one is forgotten. */
  putBack(sandbox: Sandbox): void {
    if (sandbox.dead || this.closed) {
      this.forget(sandbox);
      if (!sandbox.dead) void sandbox.kill();
      return;
    }
    sandbox.unref();
    this.idle.push(sandbox);
    const timer = setTimeout(() => {
      this.forget(sandbox);
      void sandbox.kill();
    }, this.idleTimeoutMs);
    timer.unref();
    this.idleTimers.set(sandbox, timer);
  }

  /** Terminates every sandbox and fails every waiting invocation. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiters.splice(0)) {
      w.cleanup();
      w.reject(new LambdaError('ServiceException', 'The Lambda service is closed.'));
    }
    for (const timer of this.idleTimers.values()) clearTimeout(timer);
    this.idleTimers.clear();
    this.idle.length = 0;
    const sandboxes = [...this.all];
    this.all.clear();
    await Promise.all(sandboxes.map((s) => s.kill()));
  }

  private forget(sandbox: Sandbox): void {
    this.all.delete(sandbox);
    const i = this.idle.indexOf(sandbox);
    if (i >= 0) this.idle.splice(i, 1);
    clearTimeout(this.idleTimers.get(sandbox));
    this.idleTimers.delete(sandbox);
  }
}
