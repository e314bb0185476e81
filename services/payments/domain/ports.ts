import type { PaymentPatch, PaymentRecord, PaymentStatus } from './payment';

/** What the authorization step writes before it calls the provider. */
export interface BeginAuthorization {
  readonly orderId: string;
  readonly taskToken: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly correlationId: string;
}

/** What compensation writes when it closes a payment that has no charge. */
export interface VoidUncharged {
  readonly orderId: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly correlationId: string;
}

/** Port: payment records. The adapter is bound to one region and writes only records that region owns. */
export interface PaymentRepository {
  /** The record, read consistently. */
  get(orderId: string): Promise<PaymentRecord | undefined>;
  /**
   * Creates the record as AUTHORIZING, or — when it exists and compensation has not closed it — only
   * replaces its task token (a retried step never resets the status). Returns the record as it stands: a
   * VOIDED or REFUNDED record comes back unchanged, without the new token, and the caller must not charge.
   * @throws PaymentOwnershipError when another region owns the record.
   */
  beginAuthorization(input: BeginAuthorization): Promise<PaymentRecord>;
  /**
   * Records the provider's charge id (whatever the status) and returns the record; the same id again is a
   * no-op, a different one an error.
   */
  attachCharge(orderId: string, chargeId: string): Promise<PaymentRecord>;
  /**
   * Closes a payment that has no charge: creates the record as VOIDED when there is none, or moves an
   * AUTHORIZING record without a charge id to VOIDED. Returns the record, or undefined when neither held
   * (a charge id was recorded, the status moved on, or another region owns the record).
   */
  voidUncharged(input: VoidUncharged): Promise<PaymentRecord | undefined>;
  /**
   * Moves the record to `to` if its status is one of `from` (and this region owns it); returns the
   * updated record, or undefined when the condition did not hold.
   */
  transition(
    orderId: string,
    from: readonly PaymentStatus[],
    to: PaymentStatus,
    patch?: PaymentPatch,
  ): Promise<PaymentRecord | undefined>;
}

/** A charge as the payment provider reports it. */
export interface ProviderCharge {
  readonly chargeId: string;
  readonly status: 'pending' | 'authorized' | 'declined' | 'captured' | 'refunded' | 'voided';
  readonly amountMinor: number;
  readonly currency: string;
  readonly declineCode?: string;
  readonly capturedMinor?: number;
  readonly refundedMinor?: number;
}

/** Port: the payment provider's API (the simulated provider implements it; so would a Stripe client). */
export interface PaymentProvider {
  createCharge(request: {
    idempotencyKey: string;
    amountMinor: number;
    currency: string;
    token?: string;
    metadata: { orderId: string; [key: string]: string };
  }): Promise<ProviderCharge>;
  capture(chargeId: string, idempotencyKey: string): Promise<ProviderCharge>;
  refund(chargeId: string, idempotencyKey: string): Promise<ProviderCharge>;
  getCharge(chargeId: string): Promise<ProviderCharge>;
  findChargeByIdempotencyKey(idempotencyKey: string): Promise<ProviderCharge | undefined>;
}

/** The output the saga receives when payment is authorized. */
export interface AuthorizationOutput {
  readonly chargeId: string;
  readonly status: 'AUTHORIZED';
}

/** `gone`: the task already completed or timed out, so nobody is waiting on the token any more. */
export type CallbackResult = 'delivered' | 'gone';

/** Port: completes a saga task waiting on a task token. */
export interface TaskCallbacks {
  succeed(taskToken: string, output: AuthorizationOutput): Promise<CallbackResult>;
  fail(taskToken: string, error: string, cause: string): Promise<CallbackResult>;
}
