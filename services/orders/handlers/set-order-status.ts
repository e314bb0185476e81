import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { MeridianError } from '../../shared/errors';
import { toFieldErrors } from '../../shared/http';
import { setStatusInputSchema, type OrderStatus } from '../../shared/saga';
import { InvalidStepInputError } from '../domain/errors';
import type { SetOrderStatus } from '../domain/set-order-status';

export interface SetOrderStatusHandlerDeps {
  readonly setOrderStatus: SetOrderStatus;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/**
 * The saga's set-status Lambda step. Typed errors propagate unchanged: their `name`
 * (OrderCancelledError, InvalidStatusTransitionError, …) is what the state machine's Catch routes on.
 */
export function buildSetOrderStatusHandler(
  deps: SetOrderStatusHandlerDeps,
): (event: unknown) => Promise<{ orderId: string; status: OrderStatus }> {
  return async (event) => {
    const parsed = setStatusInputSchema.safeParse(event);
    if (!parsed.success) {
      throw new InvalidStepInputError('set-status input', toFieldErrors(parsed.error));
    }
    const input = parsed.data;
    try {
      const result = await deps.setOrderStatus.execute(input);
      deps.logger.info('order status set', { orderId: result.orderId, status: result.status });
      deps.metrics.addMetric(`OrderStatus${result.status}`, MetricUnit.Count, 1);
      return result;
    } catch (err) {
      const expected = err instanceof MeridianError;
      deps.logger[expected ? 'warn' : 'error']('order status not set', {
        orderId: input.orderId,
        requested: input.status,
        error: err as Error,
      });
      throw err;
    }
  };
}
