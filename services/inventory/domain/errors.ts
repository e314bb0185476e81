import { MeridianError, ValidationError, type FieldError } from '../../shared/errors';
import { SAGA_ERRORS } from '../../shared/saga';

// Names are set explicitly (not only from the class name) because the saga's Catch matches the
// Lambda errorType, and a minifying bundler may rename classes.

/** The region's allocation cannot cover a line of the order; the saga fails the order. */
export class OutOfStockError extends MeridianError {
  override readonly name = SAGA_ERRORS.outOfStock;
  readonly kind = 'unprocessable';
  readonly code = 'OUT_OF_STOCK';
  constructor(
    readonly sku: string,
    readonly requested: number,
    readonly available: number,
  ) {
    super(`insufficient stock for ${sku}: requested ${requested}, available ${available}`);
  }
}

/** A hold to commit is gone (it expired and was swept); the saga compensates. */
export class ReservationExpiredError extends MeridianError {
  override readonly name = SAGA_ERRORS.reservationExpired;
  readonly kind = 'conflict';
  readonly code = 'RESERVATION_EXPIRED';
  constructor(
    readonly orderId: string,
    readonly sku: string,
  ) {
    super(`the reservation of ${sku} for order ${orderId} has expired and was released`);
  }
}

/** The allocation belongs to another region (it was handed over); this region must not write it. */
export class AllocationNotOwnedError extends MeridianError {
  override readonly name = 'AllocationNotOwnedError';
  readonly kind = 'conflict';
  readonly code = 'ALLOCATION_NOT_OWNED';
  constructor(sku: string, region: string, ownerRegion: string) {
    super(`the ${region} allocation of ${sku} is owned by ${ownerRegion}; ${region} cannot write it`);
  }
}

/** The allocation carries as many holds as one item may hold; retry once holds settle or expire. */
export class AllocationFullError extends MeridianError {
  override readonly name = 'AllocationFullError';
  readonly kind = 'unavailable';
  readonly code = 'ALLOCATION_FULL';
  constructor(sku: string, holds: number) {
    super(`the allocation of ${sku} already carries ${holds} holds; try again later`);
  }
}

/** A write kept losing races to other writers of the same allocation; safe to retry. */
export class StockContentionError extends MeridianError {
  override readonly name = 'StockContentionError';
  readonly kind = 'unavailable';
  readonly code = 'STOCK_CONTENTION';
  constructor(sku: string, attempts: number) {
    super(`gave up on ${sku} after ${attempts} conflicting concurrent updates; retry`);
  }
}

/** No region has an allocation of the SKU. */
export class SkuNotFoundError extends MeridianError {
  override readonly name = 'SkuNotFoundError';
  readonly kind = 'not_found';
  readonly code = 'SKU_NOT_FOUND';
  constructor(sku: string) {
    super(`no stock is recorded for ${sku}`);
  }
}

/** The admin update named a version that is no longer current. */
export class VersionConflictError extends MeridianError {
  override readonly name = 'VersionConflictError';
  readonly kind = 'conflict';
  readonly code = 'VERSION_CONFLICT';
  constructor(sku: string, expected: number, actual: number) {
    super(`the allocation of ${sku} is at version ${actual}, not the expected ${expected}`);
  }
}

/**
 * A saga step was invoked with input that breaks the saga contract. It is a ValidationError and keeps
 * that errorType after minification, so the saga never retries an input that cannot get better.
 */
export class InvalidStepInputError extends ValidationError {
  override readonly name = 'ValidationError';
  constructor(what: string, fields: readonly FieldError[]) {
    super(`${what} is invalid`, fields);
  }
}
