import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import {
  consumeOnce,
  parseEnvelope,
  type EventEnvelope,
  type ProcessedEventStore,
} from '../../shared/events';
import { toFieldErrors } from '../../shared/http';
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
 * EventBridge consumer: on `OrderFulfilled`, removes the order's holds on this region's allocations
 * without returning their units (they have shipped). Other event types are ignored; redeliveries are
 * deduped. A malformed event is dropped with an error log and a `MalformedEventsDropped` metric, as the
 * other consumers do: redelivering it cannot make it well-formed.
 */
export function buildEventsHandler(deps: {
  readonly settleOrder: SettleOrder;
  readonly processedEvents: ProcessedEventStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
}) {
  const { logger, metrics } = deps;

  const drop = (message: string, details: Record<string, unknown>): EventOutcome => {
    logger.error(message, details);
    metrics.addMetric('MalformedEventsDropped', MetricUnit.Count, 1);
    return { outcome: 'ignored', settled: [] };
  };

  return async (event: unknown, _context?: Context): Promise<EventOutcome> => {
    let envelope: EventEnvelope;
    try {
      envelope = parseEnvelope(event);
    } catch (err) {
      return drop('malformed event dropped', {
        fields: err instanceof z.ZodError ? toFieldErrors(err) : undefined,
        error: err as Error,
      });
    }
    if (envelope.type !== 'OrderFulfilled') {
      logger.debug('event ignored', { eventId: envelope.id, type: envelope.type });
      return { outcome: 'ignored', settled: [] };
    }
    const data = orderFulfilledSchema.safeParse(envelope.data);
    if (!data.success) {
      return drop('malformed OrderFulfilled dropped', {
        eventId: envelope.id,
        fields: toFieldErrors(data.error, 'data'),
      });
    }
    const { orderId } = data.data;

    let settled: { sku: string; quantity: number }[] = [];
    const outcome = await consumeOnce(deps.processedEvents, SETTLE_CONSUMER, envelope, async () => {
      const result = await deps.settleOrder.execute(orderId);
      settled = result.settled.map((l) => ({ ...l }));
      if (result.settledUncommitted.length > 0) {
        // The commit step never landed for these holds, yet the order shipped: worth a look upstream.
        const units = result.settledUncommitted.reduce((sum, l) => sum + l.quantity, 0);
        logger.warn('fulfilled order had uncommitted holds; settled them', {
          orderId,
          eventId: envelope.id,
          lines: result.settledUncommitted,
        });
        metrics.addMetric('StockUncommittedHoldsSettled', MetricUnit.Count, result.settledUncommitted.length);
        metrics.addMetric('StockUncommittedUnitsSettled', MetricUnit.Count, units);
      }
    });
    const units = settled.reduce((sum, l) => sum + l.quantity, 0);
    if (units > 0) metrics.addMetric('StockUnitsSettled', MetricUnit.Count, units);
    logger.info('OrderFulfilled consumed', { eventId: envelope.id, orderId, outcome, settled });
    return { outcome, settled };
  };
}
