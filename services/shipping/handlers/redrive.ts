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

export interface RedriveHandlerDeps extends RedriveDeps {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Input of the re-drive function: nothing, or `{ limit }`. */
export const redriveInputSchema = z
  .object({ limit: z.number().int().min(1).max(MAX_REDRIVE_LIMIT).optional() })
  .nullish()
  .transform((v) => v ?? {});

/** Re-drives this region's OPEN failed orders to the shipping queue (admin / ops invocation). */
export function buildRedriveHandler(deps: RedriveHandlerDeps) {
  return async (event: unknown): Promise<RedriveResult> => {
    const input = validate(redriveInputSchema, event, 're-drive input');
    const result = await redriveFailedOrders(deps, input);
    deps.metrics.addMetric('ShipmentRedriven', MetricUnit.Count, result.redriven);
    deps.logger.info('re-drive finished', { ...result });
    if (result.failed.length > 0)
      deps.logger.error('some failed orders could not be re-driven', { failed: result.failed });
    return result;
  };
}
