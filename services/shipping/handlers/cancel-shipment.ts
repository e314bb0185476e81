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

/** Saga compensation step: cancels the order's shipment if one was created. */
export function buildCancelShipmentHandler(deps: CancelShipmentHandlerDeps) {
  return async (event: unknown): Promise<CancelShipmentResult> => {
    const { order, reason } = validate(stepInputSchema, event, 'cancel-shipment input');
    const result = await cancelShipment(deps, order.orderId);
    deps.logger.info('cancel shipment', { ...result, reason });
    return result;
  };
}
