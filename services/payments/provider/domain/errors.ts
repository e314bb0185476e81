import { MeridianError } from '../../../shared/errors';

// `name` is a string literal on every class so it survives minification (callers and the saga match on it).

/** An idempotency key was reused with different parameters (Stripe answers 400 `idempotency_error`). */
export class IdempotencyKeyMismatchError extends MeridianError {
  override readonly name = 'IdempotencyKeyMismatchError';
  readonly kind = 'conflict';
  readonly code = 'IDEMPOTENCY_KEY_MISMATCH';
  constructor(readonly idempotencyKey: string) {
    super(`idempotency key ${JSON.stringify(idempotencyKey)} was already used with different parameters`);
  }
}

/** No charge has this id. */
export class ChargeNotFoundError extends MeridianError {
  override readonly name = 'ChargeNotFoundError';
  readonly kind = 'not_found';
  readonly code = 'CHARGE_NOT_FOUND';
  constructor(readonly chargeId: string) {
    super(`charge ${chargeId} does not exist`);
  }
}

/** Only an authorized charge can be captured. */
export class ChargeNotCapturableError extends MeridianError {
  override readonly name = 'ChargeNotCapturableError';
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
  override readonly name = 'ChargeNotRefundableError';
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
  override readonly name = 'WebhookDeliveryError';
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

/** The charge item belongs to another region's copy of the provider: this copy may not write it. */
export class ChargeOwnershipError extends MeridianError {
  override readonly name = 'ChargeOwnershipError';
  readonly kind = 'conflict';
  readonly code = 'CHARGE_NOT_OWNED';
  constructor(
    readonly chargeId: string,
    readonly ownerRegion: string,
    readonly region: string,
  ) {
    super(`charge ${chargeId} is written by region ${ownerRegion}; this is ${region}`);
  }
}
