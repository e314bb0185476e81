import type { Logger } from '@aws-lambda-powertools/logger';
import { validate } from '../../shared/http';
import { stepInputSchema } from '../../shared/saga';
import {
  cancelShipment,
  type CancelShipmentDeps,
  type CancelShipmentResult,
} from '../domain/cancel-shipment';

export interface CancelShipmentHandlerDeps extends CancelShipmentDeps {
  readonly logger: Logger;
}

/** Saga compensation step: cancels the order's shipment, or fences it with a marker if none exists yet. */
export function buildCancelShipmentHandler(deps: CancelShipmentHandlerDeps) {
  return async (event: unknown): Promise<CancelShipmentResult> => {
    const { order, reason } = validate(stepInputSchema, event, 'cancel-shipment input');
    const result = await cancelShipment(deps, order, reason);
    deps.logger.info('cancel shipment', { ...result, reason, correlationId: order.correlationId });
    return result;
  };
}
