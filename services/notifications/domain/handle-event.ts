import { z } from 'zod';
import { consumeOnce, type EventEnvelope, type ProcessedEventStore } from '../../shared/events';
import type { CustomerNotifier, OpsAlerter, OpsAlertMessage } from './ports';
import {
  orderFailedAlert,
  renderCustomerMessage,
  shipmentFailedAlert,
  stockReservationFailedAlert,
  type AlertContext,
  type OpsAlert,
} from './templates';

export interface HandleEventDeps {
  /** This region: only events produced here are acted on. */
  readonly region: string;
  readonly notifier: CustomerNotifier;
  readonly alerter: OpsAlerter;
  readonly processed: ProcessedEventStore;
}

/** What happened to one event. */
export type HandleEventResult =
  | { readonly outcome: 'alerted' | 'notified'; readonly messageId: string }
  | { readonly outcome: 'duplicate' }
  | { readonly outcome: 'ignored'; readonly reason: string };

/** The consumer name of the events function in the processed-events table. */
export const EVENTS_CONSUMER = 'notifications-events';

const orderFailedData = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  reason: z.string(),
});
const shipmentFailedData = z.object({ orderId: z.string().min(1), reason: z.string() });
const stockFailedData = z.object({
  orderId: z.string().min(1),
  sku: z.string().min(1),
  requested: z.number(),
  available: z.number(),
});
const orderTakenOverData = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  homeRegion: z.string().min(1),
  takenOverBy: z.string().min(1),
  reason: z.string(),
});
const paymentDeclinedData = z.object({
  orderId: z.string().min(1),
  chargeId: z.string().optional(),
  reason: z.string(),
});

/** A rendered action for an event, or why there is none. */
type Plan =
  | { readonly kind: 'alert'; readonly alert: OpsAlert; readonly orderId: string }
  | {
      readonly kind: 'customer';
      readonly template: 'payment-declined' | 'order-failed';
      readonly orderId: string;
      readonly reason: string;
    }
  | { readonly kind: 'ignore'; readonly reason: string };

/**
 * Turns domain events into ops alerts (OrderFailed, ShipmentFailed, StockReservationFailed) and
 * customer messages (PaymentDeclined; OrderTakenOver, the failure a surviving region decided for a
 * stranded order), once per event id. Other types, and events of a known type
 * whose data does not match its schema, are ignored (reported, never thrown: a retry cannot fix them).
 *
 * Only events of this region are acted on. Events are replicated to every region for visibility, and
 * dedupe marks are per region, so acting on a peer's event would alert ops and message the customer
 * once per region; the producing region's own notifications function sends them, once.
 */
export async function handleDomainEvent(
  deps: HandleEventDeps,
  event: EventEnvelope,
): Promise<HandleEventResult> {
  if (event.region !== deps.region) {
    return {
      outcome: 'ignored',
      reason: `replicated from ${event.region}: notified there, not in ${deps.region}`,
    };
  }
  const plan = planFor(event);
  if (plan.kind === 'ignore') return { outcome: 'ignored', reason: plan.reason };

  let result: HandleEventResult = { outcome: 'duplicate' };
  const outcome = await consumeOnce(deps.processed, EVENTS_CONSUMER, event, async () => {
    if (plan.kind === 'alert') {
      const message: OpsAlertMessage = {
        ...plan.alert,
        eventType: event.type,
        orderId: plan.orderId,
        correlationId: event.correlationId,
      };
      const receipt = await deps.alerter.alert(message);
      result = { outcome: 'alerted', messageId: receipt.messageId };
    } else {
      const rendered = renderCustomerMessage(plan.template, {
        orderId: plan.orderId,
        reason: plan.reason,
      });
      const receipt = await deps.notifier.publishToTopic({
        ...rendered,
        orderId: plan.orderId,
        template: plan.template,
        correlationId: event.correlationId,
      });
      result = { outcome: 'notified', messageId: receipt.messageId };
    }
  });
  return outcome === 'duplicate' ? { outcome: 'duplicate' } : result;
}

function planFor(event: EventEnvelope): Plan {
  const ctx: AlertContext = {
    eventId: event.id,
    region: event.region,
    correlationId: event.correlationId,
    time: event.time,
  };
  switch (event.type) {
    case 'OrderFailed': {
      const d = orderFailedData.safeParse(event.data);
      return d.success
        ? { kind: 'alert', alert: orderFailedAlert(d.data, ctx), orderId: d.data.orderId }
        : invalid(event, d.error);
    }
    case 'ShipmentFailed': {
      const d = shipmentFailedData.safeParse(event.data);
      return d.success
        ? { kind: 'alert', alert: shipmentFailedAlert(d.data, ctx), orderId: d.data.orderId }
        : invalid(event, d.error);
    }
    case 'StockReservationFailed': {
      const d = stockFailedData.safeParse(event.data);
      return d.success
        ? { kind: 'alert', alert: stockReservationFailedAlert(d.data, ctx), orderId: d.data.orderId }
        : invalid(event, d.error);
    }
    case 'PaymentDeclined': {
      const d = paymentDeclinedData.safeParse(event.data);
      return d.success
        ? { kind: 'customer', template: 'payment-declined', orderId: d.data.orderId, reason: d.data.reason }
        : invalid(event, d.error);
    }
    case 'OrderTakenOver': {
      // The survivor tells the customer: the home region's saga, when it returns, stands down silently.
      const d = orderTakenOverData.safeParse(event.data);
      return d.success
        ? { kind: 'customer', template: 'order-failed', orderId: d.data.orderId, reason: d.data.reason }
        : invalid(event, d.error);
    }
    default:
      return { kind: 'ignore', reason: `no notification for ${event.type}` };
  }
}

function invalid(event: EventEnvelope, error: z.ZodError): Plan {
  const issues = error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  return { kind: 'ignore', reason: `malformed ${event.type} v${event.version} data: ${issues}` };
}
