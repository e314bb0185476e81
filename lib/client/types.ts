/** One region's own API endpoint. */
export interface RegionEndpoint {
  /** The region's name, e.g. `eu-west-1` (what its responses carry in `x-meridian-region`). */
  readonly region: string;
  /** The region's API base URL, stage included, e.g. `https://abc.execute-api.eu-west-1.amazonaws.com/v1`. */
  readonly url: string;
}

/** How a {@link MeridianClient} reaches Meridian and how hard it tries. */
export interface MeridianClientOptions {
  /** The latency-routed entry (Route 53 name, or the local edge). Without it the client goes straight to `regions`. */
  readonly edgeUrl?: string;
  /** Each region's own endpoint, in order of preference, used to fail over. At least one of edgeUrl/regions. */
  readonly regions?: readonly RegionEndpoint[];
  /** Sent as X-Meridian-Client-Location (the local edge's latency model); omitted when absent. */
  readonly location?: string;
  /** Total attempts per call. @default 4 */
  readonly maxAttempts?: number;
  /** One attempt (request and response body) is abandoned after this long. @default 10_000 */
  readonly attemptTimeoutMs?: number;
  /** Base of the exponential backoff between attempts (full jitter). @default 100 */
  readonly baseDelayMs?: number;
  /** Cap of any delay between attempts, Retry-After included. @default 2_000 */
  readonly maxDelayMs?: number;
  /** How long a region that failed is avoided (sticky failover). @default 30_000 */
  readonly avoidMs?: number;
  /** Divides every delay, timeout and avoid period (the local runtime's time scale). @default 1 */
  readonly timeScale?: number;
  /** @default global fetch */
  readonly fetch?: typeof fetch;
  /** The clock behind avoid periods and attempt timestamps. @default Date.now */
  readonly now?: () => number;
  /** The source of backoff jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Waits between attempts. @default a setTimeout promise */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Called after every attempt (drills record these). An exception it throws is logged and ignored. */
  readonly onAttempt?: (attempt: AttemptRecord) => void;
  /** Receives one line per retry, failover and ignored onAttempt exception. @default silent */
  readonly log?: (line: string) => void;
}

/** What happened to one attempt of a call. */
export interface AttemptRecord {
  /** Increasing per client, from 1. */
  readonly callId: number;
  /** 1-based. */
  readonly attempt: number;
  readonly method: string;
  /** Path and query, relative to the API base URL (`/orders?customerId=CUST-1`). */
  readonly path: string;
  /** `'edge'` or the name of the region the attempt was sent to directly. */
  readonly target: string;
  /** The region that answered (response header x-meridian-region), or the direct target. */
  readonly region?: string;
  /** From the client's `now()`. */
  readonly startedAt: number;
  readonly endedAt: number;
  /** Absent on a network error or timeout. */
  readonly status?: number;
  /** Why no response arrived, e.g. `ECONNREFUSED`, `timeout after 10000 ms`. */
  readonly error?: string;
  /**
   * `success`: a 2xx. `final`: any other answer that ends the call (3xx, 4xx, 501, …).
   * `retryable`: a network error, a timeout, 429, 500, 502, 503 or 504 (whether or not another attempt followed).
   */
  readonly outcome: 'success' | 'retryable' | 'final';
}

/** The answer a call ended with (any status that is not retryable, 4xx included). */
export interface ClientResponse<T = unknown> {
  readonly status: number;
  /** The body parsed as JSON; `null` when empty; the raw text when it is not JSON. */
  readonly body: T;
  readonly headers: Headers;
  /** The region that answered. */
  readonly region?: string;
  /** Every attempt of the call, the last one included. */
  readonly attempts: readonly AttemptRecord[];
  /** The Idempotency-Key every attempt carried. */
  readonly idempotencyKey?: string;
}

/** An order as the API shows it. */
export interface OrderView {
  orderId: string;
  status: string;
  homeRegion: string;
  failureReason?: string;
  [k: string]: unknown;
}

/** Extra settings of one {@link MeridianClient.request} call. */
export interface MeridianRequestInit {
  /** Serialized as JSON (not allowed on GET/HEAD). */
  readonly body?: unknown;
  /** Added to (and overriding) the client's headers. */
  readonly headers?: Record<string, string>;
  /** Sent as Idempotency-Key on every attempt; makes a POST retryable. */
  readonly idempotencyKey?: string;
  /** `true` retries a POST without a key (the caller vouches it is idempotent); `false` never retries. */
  readonly retry?: boolean;
}
