import type { Context } from 'aws-lambda';
import type { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import { toFieldErrors } from '../../shared/http';
import { stepInputSchema, type StepInput } from '../../shared/saga';
import { InvalidStepInputError, OutOfStockError, ReservationExpiredError } from '../domain/errors';
import type { CommitStock, ReleaseStock, ReserveStock } from '../domain/reservations';

/** Logging and metrics every step handler uses. */
export interface StepObservability {
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** Validates a step's input; a broken one is an `InvalidStepInputError` (errorType `ValidationError`). */
function stepInput(event: unknown): StepInput {
  const parsed = stepInputSchema.safeParse(event);
  if (!parsed.success) throw new InvalidStepInputError('step input', toFieldErrors(parsed.error));
  return parsed.data;
}

/** Reason recorded on a release when the saga gives none. */
const DEFAULT_RELEASE_REASON = 'COMPENSATION';

/** Saga step "reserve stock": `{ order }` → `{ reservedUntil }`; throws OutOfStockError when short. */
export function buildReserveStockHandler(deps: StepObservability & { readonly reserveStock: ReserveStock }) {
  return async (event: unknown, _context?: Context): Promise<{ reservedUntil: string }> => {
    const { order } = stepInput(event);
    try {
      const result = await deps.reserveStock.execute(order);
      deps.metrics.addMetric('StockReservations', MetricUnit.Count, 1);
      deps.logger.info('stock reserved', {
        orderId: order.orderId,
        lines: result.lines,
        reservedUntil: result.reservedUntil,
      });
      return { reservedUntil: result.reservedUntil };
    } catch (err) {
      if (err instanceof OutOfStockError) {
        deps.metrics.addMetric('StockOutOfStock', MetricUnit.Count, 1);
        deps.logger.warn('out of stock', {
          orderId: order.orderId,
          sku: err.sku,
          requested: err.requested,
          available: err.available,
        });
      }
      throw err;
    }
  };
}

/** Saga step "commit stock": HELD → COMMITTED; throws ReservationExpiredError when a hold is gone. */
export function buildCommitStockHandler(deps: StepObservability & { readonly commitStock: CommitStock }) {
  return async (
    event: unknown,
    _context?: Context,
  ): Promise<{ committed: { sku: string; quantity: number }[] }> => {
    const { order } = stepInput(event);
    try {
      const result = await deps.commitStock.execute(order);
      deps.logger.info('stock committed', { orderId: order.orderId, lines: result.lines });
      return { committed: result.lines.map((l) => ({ ...l })) };
    } catch (err) {
      if (err instanceof ReservationExpiredError) {
        deps.metrics.addMetric('StockCommitExpired', MetricUnit.Count, 1);
        deps.logger.warn('reservation expired before commit', { orderId: order.orderId, sku: err.sku });
      }
      throw err;
    }
  };
}

/** Saga compensation "release stock": gives back every hold of the order; idempotent. */
export function buildReleaseStockHandler(deps: StepObservability & { readonly releaseStock: ReleaseStock }) {
  return async (
    event: unknown,
    _context?: Context,
  ): Promise<{ released: { sku: string; quantity: number }[] }> => {
    const { order, reason } = stepInput(event);
    const result = await deps.releaseStock.execute(
      order,
      reason?.trim() ? reason.slice(0, 500) : DEFAULT_RELEASE_REASON,
    );
    const units = result.released.reduce((sum, l) => sum + l.quantity, 0);
    if (units > 0) deps.metrics.addMetric('StockUnitsReleased', MetricUnit.Count, units);
    deps.logger.info('stock released', { orderId: order.orderId, released: result.released, reason });
    return { released: result.released.map((l) => ({ ...l })) };
  };
}
