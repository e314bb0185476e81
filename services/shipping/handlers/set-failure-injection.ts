import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { validate } from '../../shared/http';
import { setFailureInjection, type SetFailureInjectionDeps } from '../domain/set-failure-injection';
import { WELL_FORMED_ID } from '../domain/ship-order';

export interface SetFailureInjectionHandlerDeps extends SetFailureInjectionDeps {
  readonly logger: Logger;
}

/**
 * Input: `{ rate: 0..1 }` sets the override; `{ rate: null }` removes it. An optional `correlationId`
 * lets a drill tie this change to its own logs.
 */
export const setFailureInjectionInputSchema = z.object({
  rate: z.number().min(0).max(1).nullable(),
  correlationId: z.string().regex(WELL_FORMED_ID, 'must be 1..128 of A-Z a-z 0-9 . _ : -').optional(),
});

/** Admin function for drills: switches shipping failure injection on and off without a redeploy. */
export function buildSetFailureInjectionHandler(deps: SetFailureInjectionHandlerDeps) {
  return async (event: unknown): Promise<{ region: string; rate: number | null }> => {
    const { rate } = validate(setFailureInjectionInputSchema, event, 'failure-injection input');
    const result = await setFailureInjection(deps, rate);
    deps.logger.warn('shipping failure injection changed', { ...result });
    return result;
  };
}
