import { MeridianError } from '../../../shared/errors';

/** An idempotency key was reused with different parameters (Stripe answers 400 `idempotency_error`). */
export class IdempotencyKeyMismatchError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'IDEMPOTENCY_KEY_MISMATCH';
  constructor(readonly idempotencyKey: string) {
    super(`idempotency key ${JSON.stringify(idempotencyKey)} was already used with different parameters`);
  }
}

/** No charge has this id. */
export class ChargeNotFoundError extends MeridianError {
  readonly kind = 'not_found';
  readonly code = 'CHARGE_NOT_FOUND';
  constructor(readonly chargeId: string) {
    super(`charge ${chargeId} does not exist`);
  }
}

/** Only an authorized charge can be captured. */
export class ChargeNotCapturableError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'CHARGE_NOT_CAPTURABLE';
  constructor(
    readonly chargeId: string,
    readonly status: string,
  ) {
    super(`charge ${chargeId} is ${status}; only an authorized charge can be captured`);
  }
}

/** A declined charge holds no money, so there is nothing to refund or void. */
export class ChargeNotRefundableError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'CHARGE_NOT_REFUNDABLE';
  constructor(
    readonly chargeId: string,
    readonly status: string,
  ) {
    super(`charge ${chargeId} is ${status}; it cannot be refunded or voided`);
  }
}

/** A webhook could not be delivered within the dispatcher's attempts. */
export class WebhookDeliveryError extends MeridianError {
  readonly kind = 'unavailable';
  readonly code = 'WEBHOOK_DELIVERY_FAILED';
  constructor(
    readonly eventId: string,
    readonly attempts: number,
    readonly lastProblem: string,
  ) {
    super(`webhook ${eventId} not delivered after ${attempts} attempt(s): ${lastProblem}`);
  }
}
