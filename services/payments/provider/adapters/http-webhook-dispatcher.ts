import type { Clock } from '../../../shared/clock';
import { WebhookDeliveryError } from '../domain/errors';
import type { WebhookDispatcher } from '../domain/ports';
import { SIGNATURE_HEADER, signatureHeader } from '../domain/signature';
import type { WebhookEvent } from '../domain/types';

export interface HttpWebhookDispatcherProps {
  /** Where webhooks are POSTed (the merchant's `POST /payments/webhook`). */
  readonly url: string;
  /** Shared secret for the `v1` HMAC signature. */
  readonly secret: string;
  readonly clock: Clock;
  /** Attempts per webhook, counting the first. @default 5 */
  readonly maxAttempts?: number;
  /** Delay before the second attempt; doubles each time. @default 200 */
  readonly baseDelayMs?: number;
  /** Cap on a single backoff delay. @default 5000 */
  readonly maxDelayMs?: number;
  /** Per-attempt timeout. @default 5000 */
  readonly attemptTimeoutMs?: number;
  /** Waits between attempts; injected so tests do not sleep. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/**
 * Delivers webhooks over HTTP like a real provider: a JSON POST signed afresh on every attempt (so a late
 * retry is not rejected as stale), retried on network errors and non-2xx answers with bounded exponential
 * backoff and jitter.
 */
export class HttpWebhookDispatcher implements WebhookDispatcher {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly attemptTimeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly props: HttpWebhookDispatcherProps) {
    this.maxAttempts = Math.max(1, props.maxAttempts ?? 5);
    this.baseDelayMs = props.baseDelayMs ?? 200;
    this.maxDelayMs = props.maxDelayMs ?? 5000;
    this.attemptTimeoutMs = props.attemptTimeoutMs ?? 5000;
    this.sleep = props.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  async dispatch(event: WebhookEvent): Promise<void> {
    const body = JSON.stringify(event);
    let lastProblem = 'not attempted';
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      if (attempt > 1) await this.sleep(this.backoff(attempt));
      const timestamp = Math.floor(this.props.clock.now() / 1000);
      try {
        const response = await fetch(this.props.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'Meridian-SimulatedProvider/1',
            [SIGNATURE_HEADER]: signatureHeader(this.props.secret, timestamp, body),
          },
          body,
          signal: AbortSignal.timeout(this.attemptTimeoutMs),
        });
        await response.arrayBuffer(); // drain, so the connection is reused
        if (response.ok) return;
        lastProblem = `HTTP ${response.status}`;
      } catch (err) {
        lastProblem = err instanceof Error ? err.message : String(err);
      }
    }
    throw new WebhookDeliveryError(event.id, this.maxAttempts, lastProblem);
  }

  /** Equal jitter: half the exponential delay fixed, half random, capped. */
  private backoff(attempt: number): number {
    const exp = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 2));
    return exp / 2 + Math.random() * (exp / 2);
  }
}
