/**
 * The Meridian retrying client: reaches the nearest healthy region and survives the loss of one.
 *
 * Retryable: network errors (refused, reset, DNS failure), the attempt timeout, HTTP 500/502/503/504, and
 * 429 (throttled: retried after backoff, honouring `Retry-After` seconds when present, capped by maxDelayMs;
 * 429 does not mark the region avoided and the retry goes to the same target). Every other status (2xx,
 * 3xx, 4xx, 501, …) is final and returned as a `ClientResponse` — a 4xx is not thrown; read `status` and
 * `body`. When the last attempt fails retryably, `MeridianUnavailableError` is thrown with every attempt.
 *
 * Which calls are retried: GET always; `POST /orders` only with an Idempotency-Key (always, as
 * `createOrder` generates one); `request()` retries GET/HEAD/PUT/DELETE/OPTIONS, and any other method only
 * with an idempotency key or `retry: true` (`retry: false` never retries). A call not retried makes one
 * attempt. `cancelOrder` is retried (cancelling is idempotent).
 *
 * Failover: the first attempt of a call goes to the edge (when configured and no region is currently
 * avoided), otherwise directly to the first non-avoided region in `regions` order. A failed attempt marks
 * the region that failed avoided for avoidMs: the `x-meridian-region` response header when present (edge
 * 502s carry it), else the direct target; when the edge fails with a network error and no region is known,
 * nothing is marked but the next attempt goes direct. Later attempts, and new calls while any region is
 * avoided, go directly to the first non-avoided region (a client recovers in one round trip instead of
 * waiting on DNS); when every region is avoided, the one that failed longest ago is tried. When the avoid
 * period ends, calls return to the edge. Between attempts: full jitter
 * `random() × min(maxDelayMs, baseDelayMs × 2^(attempt−1))`; every delay, timeout and avoid period is
 * divided by `timeScale`.
 *
 * Headers: `accept: application/json`; `content-type: application/json` with a body; `Idempotency-Key`
 * when given; `X-Meridian-Client-Location` when `location` is set; `x-correlation-id` (one random UUID per
 * call, the same on every attempt) unless the caller passes one. Response bodies are parsed as JSON
 * (empty → `null`; not JSON → the text).
 *
 * @example
 * ```ts
 * import { MeridianClient, MeridianUnavailableError } from './lib/client';
 *
 * const client = new MeridianClient({
 *   edgeUrl: 'https://api.meridian.example.com',
 *   regions: [
 *     { region: 'eu-west-1', url: 'https://abc.execute-api.eu-west-1.amazonaws.com/v1' },
 *     { region: 'us-east-1', url: 'https://def.execute-api.us-east-1.amazonaws.com/v1' },
 *   ],
 * });
 * try {
 *   const placed = await client.createOrder({ customerId: 'CUST-1', currency: 'EUR', lines: [...] });
 *   if (placed.status === 201 || placed.status === 200) console.log(placed.body.orderId, placed.region);
 *   else console.error(placed.status, placed.body); // 400/413/415/422: { error: { code, message, fields } }
 * } catch (error) {
 *   // Every attempt failed; retrying later with error.idempotencyKey cannot create a second order.
 *   if (error instanceof MeridianUnavailableError) console.error(error.message, error.attempts);
 *   else throw error;
 * }
 * ```
 */
export * from './errors';
export * from './meridian-client';
export * from './types';
export { CLIENT_DEFAULTS } from './options';
