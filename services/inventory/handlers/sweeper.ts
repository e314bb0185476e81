import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { scheduledEventId } from '../../shared/lambda';
import { correlationIdFrom } from '../../shared/observability';
import type { SweepExpiredHolds, SweepResult } from '../domain/expiry';

/**
 * Scheduled sweep of expired holds in this region; returns its counts. The sweep's own correlation id
 * (`sweep:<schedule event id>`) tags its logs; each `StockReleased` carries its order's correlation id,
 * falling back to the sweep's only for a reservation recorded without one.
 */
export function buildSweepHandler(deps: {
  readonly sweepExpired: SweepExpiredHolds;
  readonly logger: Logger;
  readonly metrics: Metrics;
}) {
  return async (event: unknown, _context?: Context): Promise<SweepResult> => {
    const correlationId = `sweep:${correlationIdFrom(scheduledEventId(event))}`;
    const result = await deps.sweepExpired.execute(correlationId);
    deps.metrics.addMetric('StockHoldsExpired', MetricUnit.Count, result.holdsReleased);
    deps.metrics.addMetric('StockUnitsExpired', MetricUnit.Count, result.unitsReleased);
    deps.logger.info('expired holds swept', { correlationId, ...result });
    return result;
  };
}
