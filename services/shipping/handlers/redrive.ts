import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { z } from 'zod';
import { validate } from '../../shared/http';
import {
  MAX_REDRIVE_LIMIT,
  redriveFailedOrders,
  type RedriveDeps,
  type RedriveResult,
} from '../domain/redrive';
import { WELL_FORMED_ID } from '../domain/ship-order';

export interface RedriveHandlerDeps extends RedriveDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Input of the re-drive function: nothing, or `{ limit?, correlationId? }` (the caller's id for its logs). */
export const redriveInputSchema = z
  .object({
    limit: z.number().int().min(1).max(MAX_REDRIVE_LIMIT).optional(),
    correlationId: z.string().regex(WELL_FORMED_ID, 'must be 1..128 of A-Z a-z 0-9 . _ : -').optional(),
  })
  .nullish()
  .transform((v) => v ?? {});

/** What the function returns: the summary, without the per-record detail that goes to the logs. */
export type RedriveSummary = Omit<RedriveResult, 'records'>;

/** Re-drives this region's OPEN failed orders to the shipping queue (admin / ops invocation). */
export function buildRedriveHandler(deps: RedriveHandlerDeps) {
  return async (event: unknown): Promise<RedriveSummary> => {
    const input = validate(redriveInputSchema, event, 're-drive input');
    const { records, ...summary } = await redriveFailedOrders(deps, { limit: input.limit });
    for (const record of records) {
      // Each line names its own order's correlation id, so the re-drive shows up in that order's trail.
      if (record.error) deps.logger.error('failed order could not be re-driven', { ...record });
      else deps.logger.info('failed order re-driven to the shipping queue', { ...record });
    }
    deps.metrics.addMetric('ShipmentRedriven', MetricUnit.Count, summary.redriven);
    deps.logger.info('re-drive finished', {
      redriven: summary.redriven,
      orderIds: summary.orderIds,
      failed: summary.failed.length,
    });
    return summary;
  };
}
