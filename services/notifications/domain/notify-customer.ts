import { z } from 'zod';
import { consumeOnce, createEvent, type EventEnvelope, type ProcessedEventStore } from '../../shared/events';
import { sagaOrderSchema } from '../../shared/saga';
import { OrderHomedElsewhereError } from './errors';
import type { CustomerChannel, CustomerNotifier } from './ports';
import { renderCustomerMessage } from './templates';

const emailSchema = z.email();

/** Longest reason kept (message rendering bounds it further for customers). */
const MAX_REASON = 2000;

/** Input of the saga's notify step. */
export const notifyInputSchema = z.object({
  order: sagaOrderSchema,
  template: z.enum(['order-fulfilled', 'order-cancelled', 'order-failed']),
  /**
   * Why the order ended so. The saga may pass a whole Lambda error Cause (JSON with a stack trace, any
   * length): it is accepted and bounded, never rejected — a compensation path must not fail on its reason.
   */
  reason: z
    .string()
    .transform((r) => r.slice(0, MAX_REASON))
    .optional(),
});
export type NotifyInput = z.infer<typeof notifyInputSchema>;

export interface NotifyDeps {
  readonly region: string;
  readonly notifier: CustomerNotifier;
  readonly processed: ProcessedEventStore;
}

export interface NotifyResult {
  readonly channel: CustomerChannel;
  /** Absent when this (order, template) was already notified: nothing was sent this time. */
  readonly messageId?: string;
  readonly duplicate: boolean;
}

/** The consumer name of the notify step in the processed-events table. */
export const NOTIFY_CONSUMER = 'notify';

/**
 * Sends the customer the saga's final message, once per (order, template): by e-mail when the order
 * has an address, else through the customer topic. A retried step finds its mark and sends nothing.
 * Only the order's home region sends: dedupe marks are per region, so a second region acting on the
 * same order would send the customer a second message. Elsewhere it throws `OrderHomedElsewhereError`.
 */
export async function notifyCustomer(deps: NotifyDeps, input: NotifyInput): Promise<NotifyResult> {
  const { order, template, reason } = input;
  if (order.homeRegion !== deps.region) {
    throw new OrderHomedElsewhereError(order.orderId, order.homeRegion, deps.region);
  }
  // An address SES would reject must not fail the step on every retry: such customers get the topic.
  // Without a configured sender (no SES identity in this environment) every customer gets the topic.
  const email =
    deps.notifier.canEmail && order.email && emailSchema.safeParse(order.email).success
      ? order.email
      : undefined;
  const channel: CustomerChannel = email ? 'email' : 'sns';
  const message = {
    ...renderCustomerMessage(template, { orderId: order.orderId, order, reason }),
    orderId: order.orderId,
    customerId: order.customerId,
    template,
    correlationId: order.correlationId,
  };

  let messageId: string | undefined;
  const outcome = await consumeOnce(
    deps.processed,
    NOTIFY_CONSUMER,
    notificationEvent(deps.region, input),
    async () => {
      const receipt = email
        ? await deps.notifier.sendEmail(email, message)
        : await deps.notifier.publishToTopic(message);
      messageId = receipt.messageId;
    },
  );
  return outcome === 'duplicate' ? { channel, duplicate: true } : { channel, messageId, duplicate: false };
}

/**
 * The order outcome the notification reports, as an envelope with the dedupe id `<orderId>:<template>`
 * (consumeOnce keys on the envelope id).
 */
function notificationEvent(region: string, input: NotifyInput): EventEnvelope {
  const base = {
    id: `${input.order.orderId}:${input.template}`,
    source: 'meridian.notifications' as const,
    region,
    correlationId: input.order.correlationId,
  };
  const { orderId, customerId } = input.order;
  const reason = input.reason ?? 'unspecified';
  switch (input.template) {
    case 'order-fulfilled':
      return createEvent({ ...base, type: 'OrderFulfilled', data: { orderId, customerId } });
    case 'order-cancelled':
      return createEvent({ ...base, type: 'OrderCancelled', data: { orderId, customerId, reason } });
    case 'order-failed':
      return createEvent({ ...base, type: 'OrderFailed', data: { orderId, customerId, reason } });
  }
}
