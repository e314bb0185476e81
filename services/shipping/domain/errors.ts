import { MeridianError, type FieldError } from '../../shared/errors';

/**
 * A shipping message that can never be processed (not JSON, or not a valid `{ order, taskToken }`).
 * It fails alone; SQS moves it to the DLQ after `maxReceiveCount` receives.
 */
export class MalformedShippingMessageError extends MeridianError {
  readonly kind = 'validation';
  readonly code = 'MALFORMED_SHIPPING_MESSAGE';
  constructor(message: string, fields: readonly FieldError[] = []) {
    super(message, fields);
  }
}

/** A failure injected on purpose (drills): the record fails and is retried like any transient failure. */
export class InjectedShippingFailureError extends MeridianError {
  readonly kind = 'unavailable';
  readonly code = 'INJECTED_SHIPPING_FAILURE';
}

/** The item belongs to another region, which is its only writer (single writer per item). */
export class NotOwnerRegionError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'NOT_OWNER_REGION';
  constructor(what: string, ownerRegion: string, region: string) {
    super(`${what} is owned by ${ownerRegion}; ${region} may not write it`);
  }
}
