import { randomUUID } from 'node:crypto';
import { MeridianClientInputError, MeridianUnavailableError, describeAttempt } from './errors';
import { REGION_HEADER, parseBody, sendAttempt, type AttemptResult } from './http';
import { resolveOptions, show, type ResolvedOptions } from './options';
import { RegionAvoidance, targetName, type Target } from './routing';
import type {
  AttemptRecord,
  ClientResponse,
  MeridianClientOptions,
  MeridianRequestInit,
  OrderView,
} from './types';

/** Header carrying the correlation id through the API, the saga and the events. */
export const CORRELATION_ID_HEADER = 'x-correlation-id';
/** Header making a POST safe to repeat: the API answers a repeat with the first answer. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Header telling the local edge where the client pretends to be. */
export const CLIENT_LOCATION_HEADER = 'x-meridian-client-location';

/** Statuses worth another attempt: throttling and the gateway/server failures a region loss produces. */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);
/** Methods that may be repeated without a key (HTTP idempotent or safe). */
const REPEATABLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
/** Methods fetch refuses to send. */
const FORBIDDEN_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/**
 * A Meridian API client that survives the loss of a region: retryable failures (network errors,
 * timeouts, 429, 500, 502, 503, 504) are retried with full-jitter backoff on another region, with the
 * same Idempotency-Key and correlation id on every attempt, and a failed region is avoided for a while so
 * the next calls go straight to a healthy one. Any other answer (2xx, 3xx, 4xx) is returned, never thrown;
 * when every attempt fails, {@link MeridianUnavailableError} is thrown. See the module comment in
 * `index.ts` for the exact rules.
 */
export class MeridianClient {
  private readonly options: ResolvedOptions;
  private readonly routing: RegionAvoidance;
  private nextCallId = 1;

  /** Validates the options; a bad one throws {@link MeridianClientInputError} naming it. */
  constructor(options: MeridianClientOptions) {
    this.options = resolveOptions(options);
    this.routing = new RegionAvoidance(this.options.edgeUrl, this.options.regions, this.options.avoidMs);
  }

  /**
   * `POST /orders` with an Idempotency-Key — `options.idempotencyKey`, else one in `options.headers`, else a
   * new random UUID — the same on every attempt.
   */
  async createOrder<T = OrderView>(
    body: unknown,
    options: { idempotencyKey?: string; headers?: Record<string, string> } = {},
  ): Promise<ClientResponse<T>> {
    const { idempotencyKey, headers } = options ?? {};
    // A key the caller put in the headers counts as given: replacing it would break the caller's retries.
    const inHeaders =
      headers !== null && typeof headers === 'object'
        ? Object.keys(headers).some((name) => name.toLowerCase() === IDEMPOTENCY_KEY_HEADER)
        : false;
    return this.request<T>('POST', '/orders', {
      body,
      ...(headers !== undefined && { headers }),
      ...((idempotencyKey !== undefined || !inHeaders) && { idempotencyKey: idempotencyKey ?? randomUUID() }),
    });
  }

  /** `GET /orders/{id}`. */
  async getOrder<T = OrderView>(orderId: string): Promise<ClientResponse<T>> {
    return this.request<T>('GET', `/orders/${pathSegment('orderId', orderId)}`);
  }

  /** `GET /orders?customerId=…[&cursor=…]`: one page of a customer's orders. */
  async listOrders<T = unknown>(customerId: string, cursor?: string): Promise<ClientResponse<T>> {
    const query = new URLSearchParams({ customerId: nonEmpty('customerId', customerId) });
    if (cursor !== undefined) query.set('cursor', nonEmpty('cursor', cursor));
    return this.request<T>('GET', `/orders?${query.toString()}`);
  }

  /** `POST /orders/{id}/cancel`; retried, since cancelling a cancelled order changes nothing. */
  async cancelOrder<T = unknown>(
    orderId: string,
    options: { reason?: string } = {},
  ): Promise<ClientResponse<T>> {
    const path = `/orders/${pathSegment('orderId', orderId)}/cancel`;
    return this.request<T>('POST', path, {
      retry: true,
      ...(options.reason !== undefined && { body: { reason: options.reason } }),
    });
  }

  /**
   * `GET /health`. Retried like any GET, so a sick region's 503 fails over to a healthy one: to probe one
   * region, use a client with only that region, or `request('GET', '/health', { retry: false })`.
   */
  async health(): Promise<ClientResponse> {
    return this.request('GET', '/health');
  }

  /**
   * Any call: `path` (with its query) is relative to the API base URL, e.g. `/inventory/PROD-1`.
   * GET/HEAD/PUT/DELETE/OPTIONS are retried; any other method only with an idempotency key or `retry: true`;
   * `retry: false` makes one attempt whatever the method.
   */
  async request<T = unknown>(
    method: string,
    path: string,
    init: MeridianRequestInit = {},
  ): Promise<ClientResponse<T>> {
    const verb = checkMethod(method);
    checkPath(path);
    if (init === null || typeof init !== 'object')
      throw new MeridianClientInputError('init', 'must be an object');
    const body = serializeBody(verb, init.body);
    const { headers, idempotencyKey } = this.headersFor(init, body !== undefined);
    if (init.retry !== undefined && typeof init.retry !== 'boolean') {
      throw new MeridianClientInputError('retry', `must be a boolean (got ${show(init.retry)})`);
    }
    const retried = init.retry ?? (REPEATABLE_METHODS.has(verb) || idempotencyKey !== undefined);
    return this.call<T>(verb, path, headers, body, idempotencyKey, retried ? this.options.maxAttempts : 1);
  }

  /** Regions currently avoided and until when (in `now()` time). */
  avoided(): Record<string, number> {
    return this.routing.avoided(this.options.now());
  }

  private async call<T>(
    method: string,
    path: string,
    headers: Headers,
    body: string | undefined,
    idempotencyKey: string | undefined,
    maxAttempts: number,
  ): Promise<ClientResponse<T>> {
    const o = this.options;
    const callId = this.nextCallId++;
    const attempts: AttemptRecord[] = [];
    let viaEdge = true;
    // After a 429 the same target is asked again: throttling says nothing about a region's health.
    let repeat: Target | undefined;

    for (let attempt = 1; ; attempt++) {
      const target = repeat ?? this.routing.pick(o.now(), viaEdge);
      const startedAt = o.now();
      const result = await sendAttempt(o.fetch, {
        url: `${target.url}${path}`,
        method,
        headers: new Headers(headers),
        ...(body !== undefined && { body }),
        timeoutMs: o.attemptTimeoutMs,
      });
      const endedAt = o.now();
      const answeredBy = result.kind === 'response' ? regionHeader(result.headers) : undefined;
      const region = answeredBy ?? (target.kind === 'region' ? target.region : undefined);
      const record: AttemptRecord = {
        callId,
        attempt,
        method,
        path,
        target: targetName(target),
        ...(region !== undefined && { region }),
        startedAt,
        endedAt,
        ...(result.kind === 'response' ? { status: result.status } : { error: result.error }),
        outcome: classify(result),
      };
      attempts.push(record);
      this.report(record);

      if (result.kind === 'response' && record.outcome !== 'retryable') {
        return {
          status: result.status,
          body: parseBody(result.text) as T,
          headers: result.headers,
          ...(region !== undefined && { region }),
          attempts,
          ...(idempotencyKey !== undefined && { idempotencyKey }),
        };
      }

      const throttled = result.kind === 'response' && result.status === 429;
      let avoiding = '';
      if (throttled) {
        repeat = target;
      } else {
        // An edge that failed without naming a region marks nothing, but the retry still goes direct.
        if (region !== undefined) {
          this.routing.avoid(region, endedAt);
          avoiding = `; avoiding ${region} for ${Math.round(o.avoidMs)} ms`;
        }
        viaEdge = false;
        repeat = undefined;
      }
      if (attempt >= maxAttempts) {
        this.log(
          `call ${callId} ${method} ${path}: attempt ${attempt} ${describeAttempt(record)}${avoiding}; giving up`,
        );
        throw new MeridianUnavailableError(method, path, attempts, idempotencyKey);
      }
      const delayMs = (throttled ? this.retryAfterMs(result.headers) : undefined) ?? this.backoffMs(attempt);
      this.log(
        `call ${callId} ${method} ${path}: attempt ${attempt} ${describeAttempt(record)}${avoiding}; ` +
          `retrying in ${Math.round(delayMs)} ms`,
      );
      await o.sleep(delayMs);
    }
  }

  private headersFor(
    init: MeridianRequestInit,
    hasBody: boolean,
  ): { headers: Headers; idempotencyKey: string | undefined } {
    const headers = new Headers({ accept: 'application/json' });
    if (hasBody) headers.set('content-type', 'application/json');
    if (this.options.location !== undefined) headers.set(CLIENT_LOCATION_HEADER, this.options.location);
    if (init.headers !== undefined) {
      if (init.headers === null || typeof init.headers !== 'object' || Array.isArray(init.headers)) {
        throw new MeridianClientInputError('headers', 'must be an object of header names to string values');
      }
      for (const [name, value] of Object.entries(init.headers)) {
        if (typeof value !== 'string') {
          throw new MeridianClientInputError(`headers["${name}"]`, `must be a string (got ${show(value)})`);
        }
        try {
          headers.set(name, value);
        } catch {
          throw new MeridianClientInputError(
            `headers["${name}"]`,
            'is not a valid HTTP header name or value',
          );
        }
      }
    }
    if (init.idempotencyKey !== undefined) {
      if (typeof init.idempotencyKey !== 'string' || !/^[\x21-\x7e]{1,255}$/.test(init.idempotencyKey)) {
        throw new MeridianClientInputError(
          'idempotencyKey',
          `must be 1-255 printable ASCII characters without spaces (got ${show(init.idempotencyKey)})`,
        );
      }
      headers.set(IDEMPOTENCY_KEY_HEADER, init.idempotencyKey);
    }
    if (!headers.has(CORRELATION_ID_HEADER)) headers.set(CORRELATION_ID_HEADER, randomUUID());
    return { headers, idempotencyKey: headers.get(IDEMPOTENCY_KEY_HEADER) ?? undefined };
  }

  /** Full jitter: `random() × min(maxDelay, base × 2^(attempt−1))`, already divided by the time scale. */
  private backoffMs(attempt: number): number {
    const { baseDelayMs, maxDelayMs, random } = this.options;
    const ceiling = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
    const r = random();
    return Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) * ceiling : ceiling;
  }

  /** A 429's `Retry-After` in seconds, capped by maxDelayMs and divided by the time scale. */
  private retryAfterMs(headers: Headers): number | undefined {
    const value = headers.get('retry-after');
    if (value === null || !/^\s*\d+(\.\d+)?\s*$/.test(value)) return undefined;
    const { maxDelayMs, timeScale } = this.options;
    // maxDelayMs is already scaled; the header is in unscaled seconds.
    return Math.min((Number(value) * 1000) / timeScale, maxDelayMs);
  }

  private report(record: AttemptRecord): void {
    const { onAttempt } = this.options;
    if (onAttempt === undefined) return;
    try {
      onAttempt(record);
    } catch (error) {
      // A faulty observer must not turn a successful call into a failure.
      this.log(`onAttempt threw for call ${record.callId} attempt ${record.attempt}: ${String(error)}`);
    }
  }

  private log(line: string): void {
    this.options.log?.(`meridian-client: ${line}`);
  }
}

function classify(result: AttemptResult): AttemptRecord['outcome'] {
  if (result.kind === 'no-response' || RETRYABLE_STATUSES.has(result.status)) return 'retryable';
  return result.status >= 200 && result.status < 300 ? 'success' : 'final';
}

/** The region a response names; of a list (an intermediary appended its own), the first. */
function regionHeader(headers: Headers): string | undefined {
  const first = headers.get(REGION_HEADER)?.split(',')[0]?.trim();
  return first === undefined || first === '' ? undefined : first;
}

function checkMethod(method: unknown): string {
  if (typeof method !== 'string' || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(method)) {
    throw new MeridianClientInputError('method', `must be an HTTP method token (got ${show(method)})`);
  }
  const verb = method.toUpperCase();
  if (FORBIDDEN_METHODS.has(verb)) throw new MeridianClientInputError('method', `${verb} cannot be sent`);
  return verb;
}

function checkPath(path: unknown): asserts path is string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || /[\s#]/.test(path)) {
    throw new MeridianClientInputError(
      'path',
      `must start with "/" and contain no whitespace or "#" (got ${show(path)})`,
    );
  }
}

function serializeBody(method: string, body: unknown): string | undefined {
  if (body === undefined) return undefined;
  if (method === 'GET' || method === 'HEAD') {
    throw new MeridianClientInputError('body', `is not allowed on ${method}`);
  }
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw new MeridianClientInputError('body', `cannot be serialized as JSON (${(error as Error).message})`);
  }
  if (text === undefined)
    throw new MeridianClientInputError('body', `cannot be serialized as JSON (got ${show(body)})`);
  return text;
}

function nonEmpty(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new MeridianClientInputError(field, `must be a non-empty string (got ${show(value)})`);
  }
  return value;
}

function pathSegment(field: string, value: unknown): string {
  return encodeURIComponent(nonEmpty(field, value));
}
