import { createEvent, type EventEnvelope } from '../../shared/events';
import { fromMinorUnits } from '../../shared/money';
import type { OrderStatus } from '../../shared/saga';
import type { Order, Takeover } from './order';

/**
 * Builders of the orders service's events. Ids are deterministic so that a retry that publishes
 * again produces the same id and consumers drop the duplicate.
 */
const SOURCE = 'meridian.orders' as const;

/** OrderPlaced; amounts are decimals like the API (the saga input carries minor units). */
export function orderPlaced(order: Order, region: string, at: Date): EventEnvelope<'OrderPlaced'> {
  return createEvent({
    id: `${order.orderId}:OrderPlaced`,
    type: 'OrderPlaced',
    source: SOURCE,
    region,
    correlationId: order.correlationId,
    time: at,
    data: {
      orderId: order.orderId,
      customerId: order.customerId,
      currency: order.currency,
      total: fromMinorUnits(order.totalMinor),
      lines: order.lines.map((l) => ({
        productId: l.productId,
        quantity: l.quantity,
        unitPrice: fromMinorUnits(l.unitPriceMinor),
      })),
    },
  });
}

/** OrderCancellationRequested; one id per order, so a repeated or forwarded request dedupes. */
export function cancellationRequested(
  orderId: string,
  reason: string,
  region: string,
  correlationId: string,
  at: Date,
): EventEnvelope<'OrderCancellationRequested'> {
  return createEvent({
    id: `${orderId}:cancel`,
    type: 'OrderCancellationRequested',
    source: SOURCE,
    region,
    correlationId,
    time: at,
    data: { orderId, reason },
  });
}

/** OrderStatusChanged plus, for FULFILLED / CANCELLED / FAILED, the matching terminal event. */
export function statusChanged(
  order: Order,
  from: OrderStatus,
  region: string,
  correlationId: string,
  at: Date,
  reason?: string,
): EventEnvelope[] {
  const base = { source: SOURCE, region, correlationId, time: at };
  const { orderId, customerId } = order;
  const events: EventEnvelope[] = [
    createEvent({
      ...base,
      id: `${orderId}:status:${order.status}`,
      type: 'OrderStatusChanged',
      data: { orderId, from, to: order.status, ...(reason !== undefined ? { reason } : {}) },
    }),
  ];
  const why = reason ?? 'unspecified';
  if (order.status === 'FULFILLED') {
    events.push(
      createEvent({
        ...base,
        id: `${orderId}:OrderFulfilled`,
        type: 'OrderFulfilled',
        data: { orderId, customerId },
      }),
    );
  } else if (order.status === 'CANCELLED') {
    events.push(
      createEvent({
        ...base,
        id: `${orderId}:OrderCancelled`,
        type: 'OrderCancelled',
        data: { orderId, customerId, reason: why },
      }),
    );
  } else if (order.status === 'FAILED') {
    events.push(
      createEvent({
        ...base,
        id: `${orderId}:OrderFailed`,
        type: 'OrderFailed',
        data: { orderId, customerId, reason: why },
      }),
    );
  }
  return events;
}

/** OrderTakenOver: a surviving region failed a stranded order; one id per order, so a re-publish dedupes. */
export function orderTakenOver(
  takeover: Takeover,
  correlationId: string,
  region: string,
  at: Date,
): EventEnvelope<'OrderTakenOver'> {
  return createEvent({
    id: `${takeover.orderId}:OrderTakenOver`,
    type: 'OrderTakenOver',
    source: SOURCE,
    region,
    correlationId,
    time: at,
    data: {
      orderId: takeover.orderId,
      customerId: takeover.customerId,
      homeRegion: takeover.homeRegion,
      takenOverBy: takeover.takenOverBy,
      statusAtTakeover: takeover.statusAtTakeover,
      reason: takeover.reason,
    },
  });
}
