import type { HealthProbe } from './ports';

/** The result of one dependency check. */
export interface CheckResult {
  readonly ok: boolean;
  readonly latencyMs: number;
  /** Public, terse: the error's name or `timeout`, never its message (which may carry ARNs). */
  readonly error?: string;
  /** Full message for the logs only. */
  readonly detail?: string;
}

/** The deep health of this region's copy of the service. */
export interface HealthReport {
  readonly status: 'ok' | 'unhealthy';
  readonly region: string;
  readonly checks: Readonly<Record<string, CheckResult>>;
}

export interface CheckHealthDeps {
  readonly probes: readonly HealthProbe[];
  readonly region: string;
  /** Each probe's deadline; a probe that has not answered by then fails and is aborted. */
  readonly timeoutMs: number;
  /** A monotonic millisecond clock for latencies. @default performance.now */
  readonly now?: () => number;
}

/** Runs every probe in parallel, each under its own deadline; unhealthy if any fails. */
export class CheckHealth {
  constructor(private readonly deps: CheckHealthDeps) {}

  async execute(): Promise<HealthReport> {
    const results = await Promise.all(this.deps.probes.map((p) => this.run(p)));
    const checks: Record<string, CheckResult> = {};
    this.deps.probes.forEach((p, i) => {
      checks[p.name] = results[i] as CheckResult;
    });
    return {
      status: results.every((r) => r.ok) ? 'ok' : 'unhealthy',
      region: this.deps.region,
      checks,
    };
  }

  private async run(probe: HealthProbe): Promise<CheckResult> {
    const now = this.deps.now ?? (() => performance.now());
    const controller = new AbortController();
    const started = now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // Reject first so the race reports the timeout, not the abort error it causes.
        reject(new ProbeTimeoutError(this.deps.timeoutMs));
        controller.abort();
      }, this.deps.timeoutMs);
    });
    const latency = () => Math.round(now() - started);
    try {
      await Promise.race([probe.probe(controller.signal), deadline]);
      return { ok: true, latencyMs: latency() };
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      return {
        ok: false,
        latencyMs: latency(),
        error: e instanceof ProbeTimeoutError ? 'timeout' : e.name || 'Error',
        detail: e.message,
      };
    } finally {
      clearTimeout(timer);
    }
  }
}

class ProbeTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'ProbeTimeoutError';
  }
}
