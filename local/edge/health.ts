import { createHash } from 'node:crypto';
import { request as httpRequest, STATUS_CODES, type ClientRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { performance } from 'node:perf_hooks';

/** Wall-clock time source (ms since the epoch); injectable so tests can move time. */
export interface Clock {
  now(): number;
}

/** The system clock. */
export const systemClock: Clock = { now: () => Date.now() };

/** One health-check request and what came of it. */
export interface HealthObservation {
  /** When the check finished, ms since the epoch (edge clock). */
  readonly at: number;
  /** An HTTP 2xx/3xx arrived within the timeout. */
  readonly ok: boolean;
  readonly statusCode?: number;
  /** Why it failed when no status arrived: `ECONNREFUSED`, `Timeout`, … */
  readonly error?: string;
  /** Real time from request to status line, ms. */
  readonly latencyMs: number;
  /** Route 53's StatusReport text: `Success: HTTP Status Code 200, OK` or `Failure: …`. */
  readonly report: string;
}

/** A change of the status that routing sees. */
export interface HealthFlip {
  readonly at: number;
  readonly to: 'healthy' | 'unhealthy';
  /** What caused it, e.g. `3 consecutive failures` or `UpdateHealthCheck Inverted=true`. */
  readonly cause: string;
}

/** The settings UpdateHealthCheck can change. */
export interface HealthCheckUpdate {
  readonly inverted?: boolean;
  readonly disabled?: boolean;
  readonly failureThreshold?: number;
}

/** How many observations and flips a check keeps. */
export const OBSERVATIONS_KEPT = 20;
export const FLIPS_KEPT = 100;

// A fixed namespace, so a region's check id is the same across restarts (UUID version 5 style).
const ID_NAMESPACE = Buffer.from('5b0c1d7e9a2f4c3b8e6d0f1a2b3c4d5e', 'hex');

/** The deterministic, UUID-shaped health check id of a region. */
export function healthCheckIdFor(region: string): string {
  const h = createHash('sha1').update(ID_NAMESPACE).update(region, 'utf8').digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const hex = h.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const USER_AGENT = 'Amazon-Route53-Health-Check-Service (ref meridian-local-edge)';

function failureReport(error: string): string {
  switch (error) {
    case 'ECONNREFUSED':
      return 'Failure: Connection refused. The endpoint is not accepting connections on the port.';
    case 'Timeout':
      return 'Failure: Connection timed out. The endpoint or the connection is down, or requests are being blocked.';
    case 'ECONNRESET':
      return 'Failure: The connection was reset by the endpoint.';
    default:
      return `Failure: ${error}`;
  }
}

function statusText(code: number): string {
  return `HTTP Status Code ${code}, ${STATUS_CODES[code] ?? 'Unknown'}`;
}

/**
 * One Route 53 HTTP(S) health check request: healthy iff a 2xx/3xx status line arrives within the
 * timeout. Like Route 53 it opens a fresh connection each time, does not follow redirects, and does not
 * validate TLS certificates. The body is not read (no string matching).
 */
export function probeOnce(
  url: URL,
  timeoutMs: number,
  track: (req: ClientRequest) => void,
): Promise<Omit<HealthObservation, 'at'>> {
  return new Promise((resolve) => {
    const started = performance.now();
    let settled = false;
    const settle = (result: { statusCode?: number; error?: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      const latencyMs = Math.round((performance.now() - started) * 10) / 10;
      const code = result.statusCode;
      if (code !== undefined) {
        const ok = code >= 200 && code < 400;
        resolve({
          ok,
          statusCode: code,
          latencyMs,
          report: `${ok ? 'Success' : 'Failure'}: ${statusText(code)}`,
        });
      } else {
        const error = result.error ?? 'Unknown';
        resolve({ ok: false, error, latencyMs, report: failureReport(error) });
      }
    };
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let req: ClientRequest;
    try {
      req = send(url, {
        method: 'GET',
        agent: false,
        headers: { 'user-agent': USER_AGENT, accept: '*/*' },
        ...(url.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
      });
    } catch (err) {
      // An unusable URL (bad port, …) fails the check like an unreachable endpoint would.
      settled = true;
      resolve({
        ok: false,
        error: (err as Error).message,
        latencyMs: 0,
        report: failureReport((err as Error).message),
      });
      return;
    }
    const timer = setTimeout(() => {
      settle({ error: 'Timeout' });
      req.destroy();
    }, timeoutMs);
    track(req);
    req.on('response', (res) => {
      settle({ statusCode: res.statusCode ?? 0 });
      // Only the status matters. Like Route 53, read at most the first 5,120 bytes, then hang up.
      let read = 0;
      res.on('error', () => undefined);
      res.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > 5120) res.destroy();
      });
    });
    req.on('error', (err: NodeJS.ErrnoException) => settle({ error: err.code ?? err.message }));
    req.end();
  });
}

/** Options of a {@link RegionHealthCheck}. */
export interface RegionHealthCheckOptions {
  readonly region: string;
  readonly apiBaseUrl: string;
  readonly healthPath: string;
  readonly failureThreshold: number;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly log?: (line: string) => void;
}

/**
 * A region's health check with Route 53's state machine: the measured status starts healthy, turns
 * unhealthy after `failureThreshold` consecutive failures and healthy again after as many consecutive
 * successes. The reported status (what routing uses) applies Disabled (always healthy) and then Inverted.
 */
export class RegionHealthCheck {
  readonly region: string;
  readonly id: string;
  apiBaseUrl: string;
  readonly healthPath: string;
  failureThreshold: number;
  inverted = false;
  disabled = false;
  version = 1;
  measuredHealthy = true;
  consecutiveFailures = 0;
  consecutiveSuccesses = 0;
  readonly observations: HealthObservation[] = [];
  readonly flips: HealthFlip[] = [];
  lastError?: { at: number; report: string };

  private readonly timeoutMs: number;
  private readonly clock: Clock;
  private readonly log?: (line: string) => void;
  private chain: Promise<void> = Promise.resolve();
  private busy = false;
  private readonly inFlight = new Set<ClientRequest>();
  private closed = false;

  constructor(options: RegionHealthCheckOptions) {
    this.region = options.region;
    this.id = healthCheckIdFor(options.region);
    this.apiBaseUrl = options.apiBaseUrl;
    this.healthPath = options.healthPath;
    this.failureThreshold = options.failureThreshold;
    this.timeoutMs = options.timeoutMs;
    this.clock = options.clock;
    this.log = options.log;
  }

  /** The status routing sees: Disabled reports healthy, then Inverted flips it (Route 53 semantics). */
  get healthy(): boolean {
    const base = this.disabled ? true : this.measuredHealthy;
    return this.inverted ? !base : base;
  }

  /** The URL the checker requests: `<apiBaseUrl><healthPath>`. */
  get url(): URL {
    return new URL(joinUrl(this.apiBaseUrl, this.healthPath));
  }

  /** The latest observation, if any. */
  get lastCheck(): HealthObservation | undefined {
    return this.observations[this.observations.length - 1];
  }

  /** The latest failed observation, if any. */
  get lastFailure(): HealthObservation | undefined {
    for (let i = this.observations.length - 1; i >= 0; i--) {
      if (!this.observations[i]!.ok) return this.observations[i];
    }
    return undefined;
  }

  /** A timer-driven check: skipped while one is running, and when the check is disabled. */
  tick(): void {
    if (this.busy || this.disabled || this.closed) return;
    void this.checkNow();
  }

  /** Runs one check after any running one; disabled checks send no request (as in Route 53). */
  checkNow(): Promise<void> {
    const run = async (): Promise<void> => {
      if (this.disabled || this.closed) return;
      this.busy = true;
      try {
        const result = await probeOnce(this.url, this.timeoutMs, (req) => {
          this.inFlight.add(req);
          req.once('close', () => this.inFlight.delete(req));
        });
        if (!this.closed) this.record({ at: this.clock.now(), ...result });
      } finally {
        this.busy = false;
      }
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  /** Feeds one observation into the state machine. */
  record(observation: HealthObservation): void {
    const before = this.healthy;
    this.observations.push(observation);
    if (this.observations.length > OBSERVATIONS_KEPT) this.observations.shift();
    if (observation.ok) {
      this.consecutiveSuccesses += 1;
      this.consecutiveFailures = 0;
      if (!this.measuredHealthy && this.consecutiveSuccesses >= this.failureThreshold) {
        this.measuredHealthy = true;
      }
    } else {
      this.lastError = { at: observation.at, report: observation.report };
      this.consecutiveFailures += 1;
      this.consecutiveSuccesses = 0;
      if (this.measuredHealthy && this.consecutiveFailures >= this.failureThreshold) {
        this.measuredHealthy = false;
      }
    }
    if (this.healthy !== before) {
      const cause = observation.ok
        ? `${this.consecutiveSuccesses} consecutive successes`
        : `${this.consecutiveFailures} consecutive failures (${observation.report})`;
      this.flip(observation.at, cause);
    }
  }

  /** Applies UpdateHealthCheck settings; the version goes up by one. */
  update(change: HealthCheckUpdate): void {
    const before = this.healthy;
    const causes: string[] = [];
    if (change.inverted !== undefined) {
      this.inverted = change.inverted;
      causes.push(`Inverted=${change.inverted}`);
    }
    if (change.disabled !== undefined) {
      this.disabled = change.disabled;
      causes.push(`Disabled=${change.disabled}`);
    }
    if (change.failureThreshold !== undefined) this.failureThreshold = change.failureThreshold;
    this.version += 1;
    if (this.healthy !== before) this.flip(this.clock.now(), `UpdateHealthCheck ${causes.join(' ')}`);
  }

  /** Points the check at a region's new address (a restarted region on another port). */
  setApiBaseUrl(apiBaseUrl: string): void {
    this.apiBaseUrl = apiBaseUrl;
    this.version += 1;
  }

  /** Stops checking and abandons a running request. */
  close(): void {
    this.closed = true;
    for (const req of this.inFlight) req.destroy();
  }

  private flip(at: number, cause: string): void {
    const to = this.healthy ? 'healthy' : 'unhealthy';
    this.flips.push({ at, to, cause });
    if (this.flips.length > FLIPS_KEPT) this.flips.shift();
    this.log?.(`edge: ${this.region} is now ${to}: ${cause}`);
  }
}

/** `<base><path>` with exactly one slash between them, the base's own path (stage) kept. */
export function joinUrl(base: string, path: string): string {
  const b = base.endsWith('/') ? base.slice(0, -1) : base;
  return path.startsWith('/') ? `${b}${path}` : `${b}/${path}`;
}
