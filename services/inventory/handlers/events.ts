import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { ValidationError } from '../../shared/errors';
import {
  consumeOnce,
  parseEnvelope,
  type EventEnvelope,
  type ProcessedEventStore,
} from '../../shared/events';
import { toFieldErrors, validate } from '../../shared/http';
import type { SettleOrder } from '../domain/settlement';

/** The consumer name under which settled events are deduped. */
export const SETTLE_CONSUMER = 'inventory-settle';

const orderFulfilledSchema = z.object({ orderId: z.string().min(1).max(200) });

/** What the consumer did with one event. */
export interface EventOutcome {
  readonly outcome: 'ignored' | 'processed' | 'duplicate';
  readonly settled: readonly { sku: string; quantity: number }[];
}

/**
 * EventBridge consumer: on `OrderFulfilled`, removes the order's COMMITTED holds on this region's
 * allocations (the units have shipped). Other event types are ignored; redeliveries are deduped.
 * A malformed event throws, so it is retried and then lands in the target's DLQ rather than vanishing.
 */
export function buildEventsHandler(deps: {
  readonly settleOrder: SettleOrder;
  readonly processedEvents: ProcessedEventStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
}) {
  return async (event: unknown, _context?: Context): Promise<EventOutcome> => {
    let envelope: EventEnvelope;
    try {
      envelope = parseEnvelope(event);
    } catch (err) {
      if (err instanceof z.ZodError)
        throw new ValidationError('event is not a Meridian envelope', toFieldErrors(err));
      throw err;
    }
    if (envelope.type !== 'OrderFulfilled') {
      deps.logger.debug('event ignored', { eventId: envelope.id, type: envelope.type });
      return { outcome: 'ignored', settled: [] };
    }
    const { orderId } = validate(orderFulfilledSchema, envelope.data, 'OrderFulfilled data');
    let settled: { sku: string; quantity: number }[] = [];
    const outcome = await consumeOnce(deps.processedEvents, SETTLE_CONSUMER, envelope, async () => {
      const result = await deps.settleOrder.execute(orderId);
      settled = result.settled.map((l) => ({ ...l }));
      if (result.stillHeld.length > 0) {
        deps.logger.warn('fulfilled order still has uncommitted holds', { orderId, skus: result.stillHeld });
      }
    });
    const units = settled.reduce((sum, l) => sum + l.quantity, 0);
    if (units > 0) deps.metrics.addMetric('StockUnitsSettled', MetricUnit.Count, units);
    deps.logger.info('OrderFulfilled consumed', { eventId: envelope.id, orderId, outcome, settled });
    return { outcome, settled };
  };
}
