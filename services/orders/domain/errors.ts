import { MeridianError } from '../../shared/errors';
import { SAGA_ERRORS } from '../../shared/saga';

/** No order has this id (in this region's replica). */
export class OrderNotFoundError extends MeridianError {
  readonly kind = 'not_found';
  readonly code = 'ORDER_NOT_FOUND';
  constructor(orderId: string) {
    super(`order ${orderId} not found`);
  }
}

/** The Idempotency-Key was already used with a different request body. */
export class IdempotencyKeyReusedError extends MeridianError {
  readonly kind = 'unprocessable';
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor() {
    super('this Idempotency-Key was already used with a different request body', [
      { path: 'headers.Idempotency-Key', message: 'already used with a different request body' },
    ]);
  }
}

/** The order is past the point where a customer may cancel it (SHIPPED, FULFILLED, FAILED). */
export class OrderNotCancellableError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'ORDER_NOT_CANCELLABLE';
  constructor(orderId: string, status: string) {
    super(`order ${orderId} is ${status} and can no longer be cancelled`);
  }
}

/**
 * A saga step asked to move an order forward while the customer is cancelling it.
 * The state machine catches this name (SAGA_ERRORS.orderCancelled) and runs compensation.
 */
export class OrderCancelledError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'ORDER_CANCELLED';
  constructor(orderId: string, requested: string) {
    super(`order ${orderId} is being cancelled; refusing to move it to ${requested}`);
    // Pinned rather than derived from the class name, so a minifying bundler cannot break the saga's Catch.
    this.name = SAGA_ERRORS.orderCancelled;
  }
}

/** The requested status does not follow from the current one (SAGA_ERRORS.invalidTransition). */
export class InvalidStatusTransitionError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'INVALID_STATUS_TRANSITION';
  constructor(orderId: string, from: string, to: string) {
    super(`order ${orderId} cannot move from ${from} to ${to}`);
    this.name = SAGA_ERRORS.invalidTransition;
  }
}

/** This region is not the order's home (single writer): it must not write the order. */
export class OrderHomedElsewhereError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'ORDER_HOMED_ELSEWHERE';
  constructor(orderId: string, ownerRegion: string, region: string) {
    super(`order ${orderId} is owned by ${ownerRegion}; ${region} may not write it`);
  }
}

/** The order kept changing under a conditional update even after a re-read; the caller may retry. */
export class OrderUpdateConflictError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'ORDER_UPDATE_CONFLICT';
  constructor(orderId: string) {
    super(`order ${orderId} changed concurrently; retry the request`);
  }
}

/** A list cursor that this service did not issue (or issued for another customer). */
export class InvalidCursorError extends MeridianError {
  readonly kind = 'validation';
  readonly code = 'VALIDATION_FAILED';
  constructor(reason: string) {
    super('request is invalid', [{ path: 'queryStringParameters.cursor', message: reason }]);
  }
}
