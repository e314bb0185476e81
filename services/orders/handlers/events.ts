import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import {
  consumeOnce,
  parseEnvelope,
  type EventEnvelope,
  type ProcessedEventStore,
} from '../../shared/events';
import type { CancelOrder } from '../domain/cancel-order';
import { OrderNotCancellableError, OrderNotFoundError } from '../domain/errors';

/** Consumer name under which cancellation requests are deduped. */
export const CANCELLATION_CONSUMER = 'orders.cancellation-requests';

export interface EventsHandlerDeps {
  readonly cancelOrder: CancelOrder;
  readonly processed: ProcessedEventStore;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export type EventsOutcome = 'processed' | 'duplicate' | 'ignored';

const cancellationData = z.object({ orderId: z.string().min(1).max(100), reason: z.string().max(500) });

/**
 * The orders service's EventBridge consumer: applies OrderCancellationRequested (possibly forwarded
 * from another region) to orders this region owns, once per event id. Other types are ignored.
 * Malformed events are dropped with an error log, since redelivering them cannot succeed.
 */
export function buildEventsHandler(
  deps: EventsHandlerDeps,
): (event: unknown) => Promise<{ outcome: EventsOutcome }> {
  const { logger } = deps;
  return async (event) => {
    let envelope: EventEnvelope;
    try {
      envelope = parseEnvelope(event);
    } catch (err) {
      logger.error('malformed event dropped', { error: err as Error });
      deps.metrics.addMetric('MalformedEventsDropped', MetricUnit.Count, 1);
      return { outcome: 'ignored' };
    }
    if (envelope.type !== 'OrderCancellationRequested') return { outcome: 'ignored' };
    const data = cancellationData.safeParse(envelope.data);
    if (!data.success) {
      logger.error('malformed cancellation request dropped', { eventId: envelope.id });
      deps.metrics.addMetric('MalformedEventsDropped', MetricUnit.Count, 1);
      return { outcome: 'ignored' };
    }
    const { orderId, reason } = data.data;

    const outcome = await consumeOnce(deps.processed, CANCELLATION_CONSUMER, envelope, async () => {
      try {
        const result = await deps.cancelOrder.execute({
          orderId,
          reason,
          correlationId: envelope.correlationId,
          via: 'event',
        });
        logger.info('cancellation request applied', { orderId, eventId: envelope.id, outcome: result.kind });
      } catch (err) {
        // Final answers, not transient failures: retrying would not change them.
        if (err instanceof OrderNotCancellableError || err instanceof OrderNotFoundError) {
          logger.warn('cancellation request rejected', { orderId, eventId: envelope.id, code: err.code });
          return;
        }
        throw err;
      }
    });
    return { outcome };
  };
}
