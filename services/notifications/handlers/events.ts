import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { parseEnvelope, type EventEnvelope } from '../../shared/events';
import { handleDomainEvent, type HandleEventDeps, type HandleEventResult } from '../domain/handle-event';

export interface EventsHandlerDeps extends HandleEventDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** What the events function returns (useful to the local runtime and tests). */
export type EventsHandlerResult =
  HandleEventResult | { readonly outcome: 'dropped'; readonly reason: string };

/**
 * EventBridge rule target: ops alerts and customer messages from domain events. A malformed event is
 * logged and dropped (a retry would not fix it); a failed send throws so EventBridge/Lambda retry it.
 */
export function buildEventsHandler(deps: EventsHandlerDeps) {
  return async (event: unknown): Promise<EventsHandlerResult> => {
    let envelope: EventEnvelope;
    try {
      envelope = parseEnvelope(event);
    } catch (err) {
      const reason = `malformed event: ${(err as Error).message}`.slice(0, 2000);
      deps.logger.error('dropping malformed event', { reason, eventId: eventIdOf(event) });
      deps.metrics.addMetric('NotificationEventDropped', MetricUnit.Count, 1);
      return { outcome: 'dropped', reason };
    }

    const result = await handleDomainEvent(deps, envelope);
    const log = {
      eventId: envelope.id,
      type: envelope.type,
      correlationId: envelope.correlationId,
      ...result,
    };
    switch (result.outcome) {
      case 'alerted':
        deps.metrics.addMetric('OpsAlertSent', MetricUnit.Count, 1);
        deps.logger.info('ops alert sent', log);
        break;
      case 'notified':
        deps.metrics.addMetric('CustomerNotificationSent', MetricUnit.Count, 1);
        deps.logger.info('customer notified', log);
        break;
      case 'duplicate':
        deps.logger.info('duplicate event skipped', log);
        break;
      case 'ignored':
        // Data that does not match its type's schema is a producer bug worth seeing; other types are routine.
        if (result.reason.startsWith('malformed'))
          deps.logger.error('dropping event with malformed data', log);
        else deps.logger.debug('event ignored', log);
        break;
    }
    return result;
  };
}

function eventIdOf(event: unknown): string | undefined {
  if (!event || typeof event !== 'object') return undefined;
  const e = event as { id?: unknown; detail?: { id?: unknown } };
  const id = e.detail?.id ?? e.id;
  return typeof id === 'string' ? id.slice(0, 200) : undefined;
}
