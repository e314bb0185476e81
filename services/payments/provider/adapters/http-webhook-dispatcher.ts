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
  /** Attempts per webhook, counting the first. @default 12 (DEFAULT_WEBHOOK_RETRY.maxAttempts) */
  readonly maxAttempts?: number;
  /** Delay before the second attempt; doubles each time. @default 500 */
  readonly baseDelayMs?: number;
  /** Cap on a single backoff delay. @default 8000 */
  readonly maxDelayMs?: number;
  /** Per-attempt timeout. @default 5000 */
  readonly attemptTimeoutMs?: number;
  /** Waits between attempts; injected so tests do not sleep. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A retry schedule: attempts, and capped exponential backoff between them. */
export interface WebhookRetrySchedule {
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/**
 * The default schedule: 12 attempts, backoff 0.5 s doubling to a cap of 8 s (equal jitter), so the last
 * attempt comes at least ~32 s (on average ~48 s) after the first. It must outlast the receiver's dedupe
 * lease (10 s by default) with room to spare: an attempt that dies holding the claim makes every retry
 * inside the lease get a 409, and a schedule that gives up first loses the webhook. (Real providers retry
 * for hours or days; a Lambda that delivers before returning cannot.)
 */
export const DEFAULT_WEBHOOK_RETRY: WebhookRetrySchedule = {
  maxAttempts: 12,
  baseDelayMs: 500,
  maxDelayMs: 8000,
};

/** The backoff cap before `attempt` (2 = the first retry), before jitter. */
function exponentialDelay(schedule: WebhookRetrySchedule, attempt: number): number {
  return Math.min(schedule.maxDelayMs, schedule.baseDelayMs * 2 ** (attempt - 2));
}

/**
 * The least time between a schedule's first and last attempt, whatever the jitter draws (each delay is at
 * least half its exponential value): what the receiver's dedupe lease has to fit in.
 */
export function minimumRetrySpanMs(schedule: WebhookRetrySchedule): number {
  let total = 0;
  for (let attempt = 2; attempt <= schedule.maxAttempts; attempt++) {
    total += exponentialDelay(schedule, attempt) / 2;
  }
  return total;
}

/**
 * Delivers webhooks over HTTP like a real provider: a JSON POST signed afresh on every attempt (so a late
 * retry is not rejected as stale), retried on network errors and non-2xx answers (a 409 "in flight" too) with
 * capped exponential backoff and jitter, for long enough to outlast the receiver's dedupe lease.
 */
export class HttpWebhookDispatcher implements WebhookDispatcher {
  /** The retry schedule in force (defaults filled in). */
  readonly schedule: WebhookRetrySchedule;
  private readonly attemptTimeoutMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly props: HttpWebhookDispatcherProps) {
    this.schedule = {
      maxAttempts: Math.max(1, props.maxAttempts ?? DEFAULT_WEBHOOK_RETRY.maxAttempts),
      baseDelayMs: props.baseDelayMs ?? DEFAULT_WEBHOOK_RETRY.baseDelayMs,
      maxDelayMs: props.maxDelayMs ?? DEFAULT_WEBHOOK_RETRY.maxDelayMs,
    };
    this.attemptTimeoutMs = props.attemptTimeoutMs ?? 5000;
    this.sleep = props.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** The least time between the first and the last attempt (see `minimumRetrySpanMs`). */
  minimumRetrySpanMs(): number {
    return minimumRetrySpanMs(this.schedule);
  }

  async dispatch(event: WebhookEvent): Promise<void> {
    const body = JSON.stringify(event);
    let lastProblem = 'not attempted';
    const { maxAttempts } = this.schedule;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
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
    throw new WebhookDeliveryError(event.id, maxAttempts, lastProblem);
  }

  /** Equal jitter: half the exponential delay fixed, half random, capped. */
  private backoff(attempt: number): number {
    const exp = exponentialDelay(this.schedule, attempt);
    return exp / 2 + Math.random() * (exp / 2);
  }
}
