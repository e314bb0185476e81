import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_ENVIRONMENTS, resolveEnvironment } from '../../lib/config';
import {
  RegionHealthCheck,
  joinUrl,
  systemClock,
  type Clock,
  type HealthFlip,
  type HealthObservation,
} from './health';
import { defaultLatencyMatrix, validateLatencyMatrix, type LatencyMatrix } from './latency';
import { createUpstreamAgents, forward } from './proxy';
import { ROUTE53_PREFIX, route53Handler } from './route53';

/** The request header carrying the client's location (a region name such as `eu-west-1`). */
export const CLIENT_LOCATION_HEADER = 'x-meridian-client-location';
/** The request header with which a (retrying) client bypasses the answer cache: `1` or `true`. */
export const NO_CACHE_HEADER = 'x-meridian-no-cache';
/** The path of the edge's JSON status. */
export const EDGE_STATUS_PATH = '/_meridian/edge';

/** One region behind the edge. */
export interface EdgeRegion {
  readonly region: string;
  /** The region's API base URL, stage included, e.g. `http://127.0.0.1:4100/v1`. */
  readonly apiBaseUrl: string;
  /** Checked path below the base URL. @default '/health' */
  readonly healthPath?: string;
}

/** Health check settings, in AWS units (before `timeScale`). */
export interface EdgeHealthCheckOptions {
  /** Seconds between checks (Route 53 offers 10 or 30). @default 10 */
  readonly intervalSeconds?: number;
  /** Consecutive failures to turn unhealthy, and successes to turn healthy again (1..10). @default 3 */
  readonly failureThreshold?: number;
  /** Time allowed for the status line (Route 53: 4 s to connect + 2 s to the first byte). @default 4000 */
  readonly timeoutMs?: number;
}

/** Options of {@link startEdge}. */
export interface EdgeOptions {
  /** Port on 127.0.0.1; 0 picks a free one. @default 8080 */
  readonly port?: number;
  /** The regions, in tie-break order. */
  readonly regions: readonly EdgeRegion[];
  /** Client location → region → ms. @default a built-in matrix (same region 0 ms; unknown pairs 100 ms) */
  readonly latencyMatrix?: LatencyMatrix;
  /** Location of clients that send none (or an unknown one). @default the first region */
  readonly defaultLocation?: string;
  readonly healthCheck?: EdgeHealthCheckOptions;
  /** Divides the check interval, the check timeout and the answer TTL. @default 1 */
  readonly timeScale?: number;
  /** How long an answer is cached per location (before `timeScale`). @default 60 */
  readonly ttlSeconds?: number;
  /** Time source for the answer cache and observation timestamps. @default the system clock */
  readonly clock?: Clock;
  /**
   * The environment's resource prefix, reported as each health check's `meridian:environment` tag.
   * @default the prefix of lib/config's `local` environment (`meridian-local`)
   */
  readonly environment?: string;
  /**
   * Start without running health checks until {@link Edge.startHealthChecks} is called: the supervisor
   * binds the edge (so the regions learn its address) before the regions it checks are up. @default false
   */
  readonly deferHealthChecks?: boolean;
  readonly log?: (line: string) => void;
}

/** A region as the edge sees it. */
export interface EdgeRegionStatus {
  readonly region: string;
  /** The Route 53 health check id (deterministic from the region name). */
  readonly healthCheckId: string;
  readonly healthCheckVersion: number;
  readonly apiBaseUrl: string;
  readonly healthUrl: string;
  /** The status routing uses: measured, then Disabled (healthy) and Inverted applied. */
  readonly healthy: boolean;
  /** The status from the checks alone. */
  readonly measuredHealthy: boolean;
  readonly inverted: boolean;
  readonly disabled: boolean;
  readonly failureThreshold: number;
  readonly consecutiveFailures: number;
  readonly consecutiveSuccesses: number;
  readonly lastCheck?: HealthObservation;
  readonly lastError?: { readonly at: number; readonly report: string };
  /** The most recent observations, oldest first. */
  readonly observations: readonly HealthObservation[];
  /** Changes of `healthy`, oldest first. */
  readonly flips: readonly HealthFlip[];
}

/** A cached answer for one client location. */
export interface EdgeCachedAnswer {
  readonly region: string;
  readonly cachedAt: number;
  readonly expiresAt: number;
  /** Still being served (not expired). */
  readonly live: boolean;
  /** Live but pointing at a region that is now unhealthy: the DNS-TTL part of the RTO. */
  readonly stale: boolean;
}

/** The edge's whole state, also served as JSON at `GET /_meridian/edge`. */
export interface EdgeStatus {
  readonly endpoint: string;
  /** The `meridian:environment` tag of every health check. */
  readonly environment: string;
  readonly defaultLocation: string;
  readonly timeScale: number;
  /** Effective (scaled) answer TTL, ms. */
  readonly ttlMs: number;
  readonly healthCheck: {
    readonly intervalSeconds: number;
    readonly failureThreshold: number;
    readonly timeoutMs: number;
    /** Effective (scaled) interval and timeout, ms. */
    readonly effectiveIntervalMs: number;
    readonly effectiveTimeoutMs: number;
  };
  /** True when no region is healthy and the edge answers as if all were (Route 53 fails open). */
  readonly failOpen: boolean;
  readonly regions: readonly EdgeRegionStatus[];
  /** Cached answers by client location. */
  readonly cache: Readonly<Record<string, EdgeCachedAnswer>>;
  /** What a fresh lookup answers now, by client location. */
  readonly fresh: Readonly<Record<string, string>>;
  readonly latencyMatrix: LatencyMatrix;
}

/** A running edge. */
export interface Edge {
  readonly port: number;
  readonly endpoint: string;
  close(): Promise<void>;
  status(): EdgeStatus;
  /**
   * The region a request from `location` would go to now (through the cache, without filling it);
   * no location → the default; a location the matrix does not know → undefined.
   */
  resolve(location?: string): string | undefined;
  /** Points a region at a new address (a restarted region on another port); its check follows. */
  setRegionUrl(region: string, apiBaseUrl: string): void;
  /** Runs one round of health checks now and waits for it (tests, drills). */
  checkNow(): Promise<void>;
  /** Starts the periodic health checks of an edge started with `deferHealthChecks` (no-op otherwise). */
  startHealthChecks(): void;
}

interface CacheEntry {
  region: string;
  cachedAt: number;
  expiresAt: number;
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new Error(`edge: ${name} must be a positive number (got ${String(value)})`);
  }
  return value;
}

function checkBaseUrl(region: string, apiBaseUrl: string): string {
  let url: URL;
  try {
    url = new URL(apiBaseUrl);
  } catch {
    throw new Error(`edge: apiBaseUrl of ${region} is not a URL: ${apiBaseUrl}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`edge: apiBaseUrl of ${region} must be http or https: ${apiBaseUrl}`);
  }
  if (url.search || url.hash)
    throw new Error(`edge: apiBaseUrl of ${region} must not carry a query or fragment`);
  return apiBaseUrl;
}

function firstHeader(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s === undefined ? undefined : s.trim();
}

function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

// Header values echo what the client sent, so keep them printable and short.
const printable = (s: string): string => s.replace(/[^\x20-\x7e]/g, '?').slice(0, 64);

/**
 * Starts the edge on 127.0.0.1: health checks with Route 53's semantics on every region, latency-based
 * answers among healthy regions (failing open when none is), an answer cache with a TTL, a transparent
 * proxy to the chosen region, the Route 53 health-check API under `/2013-04-01/`, and its status as JSON
 * at `/_meridian/edge`.
 */
export async function startEdge(options: EdgeOptions): Promise<Edge> {
  const regions = options.regions;
  if (!Array.isArray(regions) || regions.length === 0)
    throw new Error('edge: at least one region is required');
  const names = regions.map((r) => r.region);
  for (const name of names) {
    if (typeof name !== 'string' || name === '') throw new Error('edge: every region needs a name');
  }
  const duplicate = names.find((n, i) => names.indexOf(n) !== i);
  if (duplicate) throw new Error(`edge: region ${duplicate} is listed twice`);

  const timeScale = positive('timeScale', options.timeScale ?? 1);
  const intervalSeconds = positive('healthCheck.intervalSeconds', options.healthCheck?.intervalSeconds ?? 10);
  const timeoutMs = positive('healthCheck.timeoutMs', options.healthCheck?.timeoutMs ?? 4000);
  const failureThreshold = options.healthCheck?.failureThreshold ?? 3;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1 || failureThreshold > 10) {
    throw new Error(
      `edge: healthCheck.failureThreshold must be an integer from 1 to 10 (got ${failureThreshold})`,
    );
  }
  const ttlSeconds = options.ttlSeconds ?? 60;
  if (typeof ttlSeconds !== 'number' || !Number.isFinite(ttlSeconds) || ttlSeconds < 0) {
    throw new Error(`edge: ttlSeconds must be a number >= 0 (got ${String(ttlSeconds)})`);
  }
  const environment = options.environment ?? resolveEnvironment(DEFAULT_ENVIRONMENTS.local).prefix;
  if (typeof environment !== 'string' || environment === '' || environment.length > 256) {
    throw new Error(
      `edge: environment must be a non-empty string of at most 256 characters, a Route 53 tag value (got ${JSON.stringify(environment)})`,
    );
  }
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`edge: invalid port ${port}`);

  const matrix = options.latencyMatrix
    ? validateLatencyMatrix(options.latencyMatrix, names)
    : defaultLatencyMatrix(names);
  const defaultLocation = options.defaultLocation ?? names[0]!;
  if (!matrix[defaultLocation]) {
    throw new Error(`edge: defaultLocation ${defaultLocation} is not a location of the latency matrix`);
  }

  const clock = options.clock ?? systemClock;
  const log = options.log;
  const effectiveIntervalMs = (intervalSeconds * 1000) / timeScale;
  const effectiveTimeoutMs = timeoutMs / timeScale;
  const ttlMs = (ttlSeconds * 1000) / timeScale;

  const checks = regions.map((r) => {
    const healthPath = r.healthPath ?? '/health';
    if (!healthPath.startsWith('/')) throw new Error(`edge: healthPath of ${r.region} must start with /`);
    return new RegionHealthCheck({
      region: r.region,
      apiBaseUrl: checkBaseUrl(r.region, r.apiBaseUrl),
      healthPath,
      failureThreshold,
      timeoutMs: effectiveTimeoutMs,
      clock,
      log,
    });
  });
  const byRegion = new Map(checks.map((c) => [c.region, c]));
  const cache = new Map<string, CacheEntry>();
  const agents = createUpstreamAgents();

  /** Lowest latency among healthy regions, ties by region order; all regions when none is healthy. */
  const choose = (location: string): string => {
    const row = matrix[location]!;
    const healthy = checks.filter((c) => c.healthy);
    const pool = healthy.length > 0 ? healthy : checks;
    let best = pool[0]!;
    for (const c of pool) if (row[c.region]! < row[best.region]!) best = c;
    return best.region;
  };

  const lookup = (location: string, useCache: boolean, fill: boolean): { region: string; hit: boolean } => {
    const now = clock.now();
    const entry = useCache ? cache.get(location) : undefined;
    if (entry && now < entry.expiresAt) return { region: entry.region, hit: true };
    const region = choose(location);
    if (fill) cache.set(location, { region, cachedAt: now, expiresAt: now + ttlMs });
    return { region, hit: false };
  };

  const status = (): EdgeStatus => {
    const now = clock.now();
    const cached: Record<string, EdgeCachedAnswer> = {};
    for (const [location, e] of cache) {
      const live = now < e.expiresAt;
      cached[location] = {
        region: e.region,
        cachedAt: e.cachedAt,
        expiresAt: e.expiresAt,
        live,
        stale: live && !(byRegion.get(e.region)?.healthy ?? false),
      };
    }
    return {
      endpoint,
      environment,
      defaultLocation,
      timeScale,
      ttlMs,
      healthCheck: { intervalSeconds, failureThreshold, timeoutMs, effectiveIntervalMs, effectiveTimeoutMs },
      failOpen: checks.every((c) => !c.healthy),
      regions: checks.map((c) => ({
        region: c.region,
        healthCheckId: c.id,
        healthCheckVersion: c.version,
        apiBaseUrl: c.apiBaseUrl,
        healthUrl: c.url.toString(),
        healthy: c.healthy,
        measuredHealthy: c.measuredHealthy,
        inverted: c.inverted,
        disabled: c.disabled,
        failureThreshold: c.failureThreshold,
        consecutiveFailures: c.consecutiveFailures,
        consecutiveSuccesses: c.consecutiveSuccesses,
        ...(c.lastCheck ? { lastCheck: c.lastCheck } : {}),
        ...(c.lastError ? { lastError: c.lastError } : {}),
        observations: [...c.observations],
        flips: [...c.flips],
      })),
      cache: cached,
      fresh: Object.fromEntries(Object.keys(matrix).map((l) => [l, choose(l)])),
      latencyMatrix: matrix,
    };
  };

  const route53 = route53Handler(
    { checks: () => checks, intervalSeconds, checkerRegion: defaultLocation, environment },
    log,
  );

  const proxy = (req: IncomingMessage, res: ServerResponse, pathAndQuery: string): void => {
    const asked = firstHeader(req, CLIENT_LOCATION_HEADER);
    const known = asked !== undefined && asked !== '' && Object.hasOwn(matrix, asked);
    const location = known ? asked : defaultLocation;
    const noCache = /^(1|true)$/i.test(firstHeader(req, NO_CACHE_HEADER) ?? '');
    const { region, hit } = lookup(location, !noCache, !noCache);
    const responseHeaders: Record<string, string> = {
      'X-Meridian-Region': region,
      'X-Meridian-Edge-Cache': hit ? 'hit' : 'miss',
      'X-Meridian-Client-Location': location,
    };
    if (asked !== undefined && asked !== '' && !known) {
      responseHeaders['X-Meridian-Client-Location-Fallback'] =
        `unknown location "${printable(asked)}"; answered for the default location ${defaultLocation}`;
    }
    forward(
      req,
      res,
      pathAndQuery,
      { region, apiBaseUrl: byRegion.get(region)!.apiBaseUrl, responseHeaders },
      agents,
    );
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    let target = req.url ?? '';
    // An absolute-form request line (proxy style) still names a path on the edge.
    if (/^https?:\/\//i.test(target)) {
      try {
        const u = new URL(target);
        target = `${u.pathname}${u.search}`;
      } catch {
        target = '';
      }
    }
    if (!target.startsWith('/')) {
      sendJson(res, 400, {
        error: { code: 'BadRequest', message: `Unsupported request target ${printable(target)}` },
      });
      req.resume();
      return;
    }
    const q = target.indexOf('?');
    const pathname = q >= 0 ? target.slice(0, q) : target;
    if (pathname === EDGE_STATUS_PATH) {
      req.resume();
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        sendJson(
          res,
          405,
          { error: { code: 'MethodNotAllowed', message: `${EDGE_STATUS_PATH} answers GET only` } },
          {
            allow: 'GET, HEAD',
          },
        );
        return;
      }
      sendJson(res, 200, status());
      return;
    }
    if (pathname.startsWith(ROUTE53_PREFIX)) {
      const query = new URLSearchParams(q >= 0 ? target.slice(q + 1) : '');
      void route53(req, res, pathname, query);
      return;
    }
    proxy(req, res, target);
  };

  const server = createServer((req, res) => {
    try {
      handle(req, res);
    } catch (err) {
      log?.(`edge: internal failure on ${req.method} ${req.url}: ${(err as Error).stack ?? err}`);
      sendJson(res, 500, { error: { code: 'InternalServerError', message: 'Internal server error' } });
      req.resume();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log?.(`edge: server error: ${err.message}`));
  const boundPort = (server.address() as AddressInfo).port;
  const endpoint = `http://127.0.0.1:${boundPort}`;

  // One timer per check; the first check runs one interval after the start of the checks (a new check
  // counts as healthy).
  let timers: NodeJS.Timeout[] | undefined;
  let closed: Promise<void> | undefined;
  const startHealthChecks = (): void => {
    if (timers || closed) return;
    timers = checks.map((c) => setInterval(() => c.tick(), effectiveIntervalMs).unref());
    log?.(
      `edge: checking ${names.join(', ')} every ${effectiveIntervalMs} ms, threshold ${failureThreshold}`,
    );
  };
  log?.(`edge: listening on ${endpoint}; TTL ${ttlMs} ms; environment ${environment}`);
  if (!options.deferHealthChecks) startHealthChecks();

  return {
    port: boundPort,
    endpoint,
    status,
    resolve: (location?: string) => {
      const l = location ?? defaultLocation;
      return Object.hasOwn(matrix, l) ? lookup(l, true, false).region : undefined;
    },
    setRegionUrl: (region: string, apiBaseUrl: string) => {
      const check = byRegion.get(region);
      if (!check) throw new Error(`edge: unknown region ${region}`);
      check.setApiBaseUrl(checkBaseUrl(region, apiBaseUrl));
      log?.(`edge: ${region} now at ${apiBaseUrl} (health ${joinUrl(apiBaseUrl, check.healthPath)})`);
    },
    checkNow: async () => {
      await Promise.all(checks.map((c) => c.checkNow()));
    },
    startHealthChecks,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        for (const t of timers ?? []) clearInterval(t);
        for (const c of checks) c.close();
        agents.http.destroy();
        agents.https.destroy();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closed;
    },
  };
}
