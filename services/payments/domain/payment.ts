/** Lifecycle of an order's payment as the merchant (Meridian) records it. */
export const PAYMENT_STATUSES = [
  'AUTHORIZING',
  'AUTHORIZED',
  'DECLINED',
  'CAPTURED',
  'REFUNDED',
  'VOIDED',
] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

/** Statuses compensation leaves a payment in: from here on, no charge may hold money for the order. */
export const COMPENSATED_STATUSES: readonly PaymentStatus[] = ['VOIDED', 'REFUNDED'];

/** True when compensation has closed the payment (VOIDED or REFUNDED). */
export function isCompensated(status: string | undefined): boolean {
  return COMPENSATED_STATUSES.some((s) => s === status);
}

/** The payment record of one order (`pk=PAYMENT#<orderId>, sk=PAYMENT`), written only by its owner region. */
export interface PaymentRecord {
  readonly orderId: string;
  readonly status: PaymentStatus;
  /** The saga's latest task token for the authorization step; a retried step replaces it. */
  readonly taskToken?: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** The order's home region: the only region allowed to write this record. */
  readonly ownerRegion: string;
  readonly correlationId: string;
  readonly chargeId?: string;
  readonly declineCode?: string;
  readonly capturedMinor?: number;
  readonly refundedMinor?: number;
  /** ISO-8601 times. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** Fields a status transition may set alongside the status. */
export type PaymentPatch = Partial<
  Pick<PaymentRecord, 'chargeId' | 'declineCode' | 'capturedMinor' | 'refundedMinor'>
>;

/** The provider idempotency key for an order's charge (BRIEF: provider idempotency key = order id). */
export const chargeKey = (orderId: string): string => orderId;
/** The provider idempotency key for capturing an order's charge. */
export const captureKey = (orderId: string): string => `${orderId}:capture`;
/** The provider idempotency key for refunding or voiding an order's charge. */
export const refundKey = (orderId: string): string => `${orderId}:refund`;
