import { MeridianError } from '../../shared/errors';
import { SAGA_ERRORS } from '../../shared/saga';

// Every class sets `name` as a string literal: the saga's Catch clauses and the logs match on it, and a
// bundler that minifies class names would otherwise turn `new.target.name` into `e` or `t`.

/** The provider declined the charge; the saga routes on this name to compensate. */
export class PaymentDeclinedError extends MeridianError {
  override readonly name = SAGA_ERRORS.paymentDeclined;
  readonly kind = 'unprocessable';
  readonly code = 'PAYMENT_DECLINED';
  constructor(
    readonly orderId: string,
    /** The provider's decline code (`card_declined`, `insufficient_funds`, ...), used as the task cause. */
    readonly reason: string,
  ) {
    super(`payment for order ${orderId} was declined: ${reason}`);
  }
}

/** This region may not write the order's payment (single writer per item). */
export class PaymentOwnershipError extends MeridianError {
  override readonly name = 'PaymentOwnershipError';
  readonly kind = 'conflict';
  readonly code = 'PAYMENT_NOT_OWNED';
  constructor(
    readonly orderId: string,
    readonly ownerRegion: string,
    readonly region: string,
  ) {
    super(`payment of order ${orderId} belongs to region ${ownerRegion}; this is ${region}`);
  }
}

/** No payment record exists for the order. */
export class PaymentNotFoundError extends MeridianError {
  override readonly name = 'PaymentNotFoundError';
  readonly kind = 'not_found';
  readonly code = 'PAYMENT_NOT_FOUND';
  constructor(readonly orderId: string) {
    super(`order ${orderId} has no payment`);
  }
}

/** The payment is not in a state that allows capture (it is not authorized). */
export class PaymentNotCapturableError extends MeridianError {
  override readonly name = 'PaymentNotCapturableError';
  readonly kind = 'conflict';
  readonly code = 'PAYMENT_NOT_CAPTURABLE';
  constructor(
    readonly orderId: string,
    readonly status: string,
  ) {
    super(`payment of order ${orderId} is ${status}; only an authorized payment can be captured`);
  }
}

/** The authorization step was invoked without `.waitForTaskToken`. */
export class MissingTaskTokenError extends MeridianError {
  override readonly name = 'MissingTaskTokenError';
  readonly kind = 'validation';
  readonly code = 'TASK_TOKEN_MISSING';
  constructor() {
    super('authorizePayment must be invoked with .waitForTaskToken (taskToken is required)', [
      { path: 'taskToken', message: 'required' },
    ]);
  }
}

/** The webhook carries no signature header. */
export class SignatureMissingError extends MeridianError {
  override readonly name = 'SignatureMissingError';
  readonly kind = 'unauthorized';
  readonly code = 'SIGNATURE_MISSING';
}

/** The signature header is malformed or no signature in it matches the body. */
export class SignatureInvalidError extends MeridianError {
  override readonly name = 'SignatureInvalidError';
  readonly kind = 'unauthorized';
  readonly code = 'SIGNATURE_INVALID';
}

/** The signature is authentic but its timestamp is outside the tolerance (a replay, or a skewed clock). */
export class SignatureExpiredError extends MeridianError {
  override readonly name = 'SignatureExpiredError';
  readonly kind = 'unauthorized';
  readonly code = 'SIGNATURE_EXPIRED';
}
