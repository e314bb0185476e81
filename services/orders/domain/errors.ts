import { MeridianError, ValidationError, type FieldError } from '../../shared/errors';
import { SAGA_ERRORS } from '../../shared/saga';

// Every name is pinned to a string literal (or its SAGA_ERRORS constant), not left to the base class's
// `new.target.name`: the saga's Retry/Catch match the Lambda errorType, and a minifying bundler renames
// classes. Errors only the API sees are pinned too, so no class is left to chance.

/** No order has this id (in this region's replica). */
export class OrderNotFoundError extends MeridianError {
  readonly kind = 'not_found';
  readonly code = 'ORDER_NOT_FOUND';
  constructor(orderId: string) {
    super(`order ${orderId} not found`);
    this.name = 'OrderNotFoundError';
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
    this.name = 'IdempotencyKeyReusedError';
  }
}

/** The order is past the point where a customer may cancel it (SHIPPED, FULFILLED, FAILED). */
export class OrderNotCancellableError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'ORDER_NOT_CANCELLABLE';
  constructor(orderId: string, status: string) {
    super(`order ${orderId} is ${status} and can no longer be cancelled`);
    this.name = 'OrderNotCancellableError';
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
    this.name = SAGA_ERRORS.orderHomedElsewhere;
  }
}

/**
 * A surviving region took the order over while this (home) region was unavailable (docs/decisions/007):
 * the saga must not move it forward. It compensates what it did and records FAILED (SAGA_ERRORS.orderTakenOver).
 */
export class OrderTakenOverError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'ORDER_TAKEN_OVER';
  constructor(orderId: string, by: string, requested: string) {
    super(`order ${orderId} was taken over by ${by}; refusing to move it to ${requested}`);
    this.name = SAGA_ERRORS.orderTakenOver;
  }
}

/**
 * A peer region's replica holds the order as its own while this region's replica holds it as ours: the
 * same Idempotency-Key reached both regions and replication has not settled which one keeps the order.
 * The saga retries; nothing shared (a charge) may happen before one region is the only owner.
 */
export class OrderOwnershipUnsettledError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'ORDER_OWNERSHIP_UNSETTLED';
  constructor(orderId: string, rivals: readonly string[]) {
    super(
      `order ${orderId} is also held as their own by ${rivals.join(', ')}; replication has not settled its owner`,
    );
    this.name = 'OrderOwnershipUnsettledError';
  }
}

/** The order kept changing under a conditional update even after a re-read; the caller may retry. */
export class OrderUpdateConflictError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'ORDER_UPDATE_CONFLICT';
  constructor(orderId: string) {
    super(`order ${orderId} changed concurrently; retry the request`);
    this.name = 'OrderUpdateConflictError';
  }
}

/** A list cursor that this service did not issue (or issued for another customer). */
export class InvalidCursorError extends MeridianError {
  readonly kind = 'validation';
  readonly code = 'VALIDATION_FAILED';
  constructor(reason: string) {
    super('request is invalid', [{ path: 'queryStringParameters.cursor', message: reason }]);
    this.name = 'InvalidCursorError';
  }
}

/**
 * A saga step was invoked with input that breaks the saga contract. It is a ValidationError and keeps
 * that errorType after minification, so the saga never retries an input that cannot get better.
 */
export class InvalidStepInputError extends ValidationError {
  constructor(what: string, fields: readonly FieldError[]) {
    super(`${what} is invalid`, fields); // name stays 'ValidationError' (pinned in shared/errors.ts)
  }
}
