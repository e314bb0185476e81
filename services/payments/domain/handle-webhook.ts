import type { ProcessedEventStore } from '../../shared/events';
import { SAGA_ERRORS } from '../../shared/saga';
import { recordDecision, type DecisionDeps } from './decision';
import { isCompensated } from './payment';
import type { CallbackResult, PaymentProvider, ProviderCharge, TaskCallbacks } from './ports';
import { releaseCharge } from './release-charge';
import type { ProviderWebhook } from './webhook-event';

/** Name under which webhook event ids are recorded in the processed-events table. */
export const WEBHOOK_CONSUMER = 'payments-webhook';

/**
 * Default lease of a webhook's dedupe claim (ms): above the webhook function's run time (an attempt never
 * outlives its claim), and far below the provider's retry span (a crashed attempt's claim expires while the
 * provider still retries; see DEFAULT_WEBHOOK_RETRY).
 */
export const DEFAULT_WEBHOOK_DEDUPE_LEASE_MS = 10_000;

export interface HandleWebhookDeps extends DecisionDeps {
  readonly callbacks: TaskCallbacks;
  readonly processedEvents: ProcessedEventStore;
  /** Gives back a charge decided after compensation closed its payment. */
  readonly provider: PaymentProvider;
}

/** Why an authentic webhook changed nothing. */
export type IgnoredReason =
  'unknown-order' | 'not-owner' | 'charge-mismatch' | 'amount-mismatch' | 'already-settled' | 'no-task-token';

export type WebhookResult =
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'ignored'; readonly reason: IgnoredReason; readonly status?: string }
  | {
      readonly outcome: 'resumed';
      readonly decision: 'authorized' | 'declined';
      readonly callback: CallbackResult;
    }
  /** The payment was already compensated: the charge was given back at the provider; the saga is not resumed. */
  | { readonly outcome: 'released'; readonly chargeStatus: ProviderCharge['status'] };

/**
 * Applies a verified provider webhook: once per event id, records the decision on the order's payment,
 * publishes it, and resumes the saga through the stored task token. An authorization for a payment that
 * compensation has already closed (VOIDED / REFUNDED) is given back at the provider instead — the charge was
 * created by a step that outlived its task — and the saga, which has moved on, is not resumed. Everything
 * that cannot be acted on (unknown order, token gone) is a result, not an error: the provider must get a 2xx
 * and stop retrying.
 */
export class HandleProviderWebhook {
  constructor(private readonly deps: HandleWebhookDeps) {}

  async execute(event: ProviderWebhook): Promise<WebhookResult> {
    const store = this.deps.processedEvents;
    if (!(await store.markProcessed(WEBHOOK_CONSUMER, event.id))) return { outcome: 'duplicate' };
    let result: WebhookResult;
    try {
      result = await this.apply(event);
    } catch (err) {
      // Same contract as consumeOnce: a failed attempt is forgotten so the provider's retry runs again.
      await store.unmark(WEBHOOK_CONSUMER, event.id);
      throw err;
    }
    await store.markCompleted(WEBHOOK_CONSUMER, event.id);
    return result;
  }

  private async apply(event: ProviderWebhook): Promise<WebhookResult> {
    const { orderId, chargeId } = event.data;
    const record = await this.deps.repository.get(orderId);
    if (!record) return { outcome: 'ignored', reason: 'unknown-order' };
    if (record.ownerRegion !== this.deps.region) return { outcome: 'ignored', reason: 'not-owner' };
    if (record.chargeId !== undefined && record.chargeId !== chargeId) {
      return { outcome: 'ignored', reason: 'charge-mismatch' };
    }
    if (record.amountMinor !== event.data.amountMinor || record.currency !== event.data.currency) {
      return { outcome: 'ignored', reason: 'amount-mismatch' };
    }
    if (isCompensated(record.status)) return this.giveBack(record.status, event);
    const result =
      event.type === 'charge.authorized'
        ? await recordDecision(this.deps, orderId, { kind: 'authorized', chargeId })
        : await recordDecision(this.deps, orderId, {
            kind: 'declined',
            chargeId,
            declineCode: event.data.declineCode,
          });
    if (!result.applied) {
      // Compensation closed the payment between our read and the decision: same as above.
      if (result.status && isCompensated(result.status)) return this.giveBack(result.status, event);
      return {
        outcome: 'ignored',
        reason: 'already-settled',
        ...(result.status && { status: result.status }),
      };
    }
    const token = result.record.taskToken;
    if (!token) return { outcome: 'ignored', reason: 'no-task-token' };
    const callback =
      event.type === 'charge.authorized'
        ? await this.deps.callbacks.succeed(token, { chargeId, status: 'AUTHORIZED' })
        : await this.deps.callbacks.fail(token, SAGA_ERRORS.paymentDeclined, event.data.declineCode);
    return {
      outcome: 'resumed',
      decision: event.type === 'charge.authorized' ? 'authorized' : 'declined',
      callback,
    };
  }

  /** A decision for a compensated payment: an authorization is given back; a decline holds nothing. */
  private async giveBack(status: string, event: ProviderWebhook): Promise<WebhookResult> {
    if (event.type === 'charge.declined') return { outcome: 'ignored', reason: 'already-settled', status };
    const { orderId, chargeId } = event.data;
    // Recorded first, so a later compensation retry sees the charge even if the release below fails.
    await this.deps.repository.attachCharge(orderId, chargeId);
    const released = await releaseCharge(this.deps.provider, orderId, chargeId);
    return { outcome: 'released', chargeStatus: released.status };
  }
}
