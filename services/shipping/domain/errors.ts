import { MeridianError, type FieldError } from '../../shared/errors';

// Every class sets `name` to a string literal: the name is what Step Functions' Catch, Lambda's
// errorType and our own routing match on, and a minifying bundler renames classes (`new.target.name`).

/**
 * A shipping message that can never be processed (not JSON, or not a valid `{ order, taskToken }`).
 * It fails alone; SQS moves it to the DLQ after `maxReceiveCount` receives.
 */
export class MalformedShippingMessageError extends MeridianError {
  readonly kind = 'validation';
  readonly code = 'MALFORMED_SHIPPING_MESSAGE';
  constructor(message: string, fields: readonly FieldError[] = []) {
    super(message, fields);
    this.name = 'MalformedShippingMessageError';
  }
}

/** A failure injected on purpose (drills): the record fails and is retried like any transient failure. */
export class InjectedShippingFailureError extends MeridianError {
  readonly kind = 'unavailable';
  readonly code = 'INJECTED_SHIPPING_FAILURE';
  constructor(message: string) {
    super(message);
    this.name = 'InjectedShippingFailureError';
  }
}

/** The item belongs to another region, which is its only writer (single writer per item). */
export class NotOwnerRegionError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'NOT_OWNER_REGION';
  constructor(what: string, ownerRegion: string, region: string) {
    super(`${what} is owned by ${ownerRegion}; ${region} may not write it`);
    this.name = 'NotOwnerRegionError';
  }
}

/**
 * The order's shipment was cancelled by the saga's compensation (or cancelled before any was created):
 * a delivery of its shipping message must not ship it. Sent to the saga's waiting task with
 * SendTaskFailure, so the "create shipment" state ends in this error rather than in success.
 */
export class ShipmentCancelledError extends MeridianError {
  readonly kind = 'conflict';
  readonly code = 'SHIPMENT_CANCELLED';
  constructor(orderId: string) {
    super(`the shipment of order ${orderId} was cancelled; it will not be shipped`);
    this.name = 'ShipmentCancelledError';
  }
}
