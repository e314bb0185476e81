/** Lifecycle of a charge at the provider. */
export const CHARGE_STATUSES = [
  'pending',
  'authorized',
  'declined',
  'captured',
  'refunded',
  'voided',
] as const;
export type ChargeStatus = (typeof CHARGE_STATUSES)[number];

/** Why the provider declined a charge. */
export type DeclineCode = 'card_declined' | 'insufficient_funds';

/** What the provider will answer for a pending charge, fixed when the charge is created. */
export type PlannedOutcome =
  | { readonly kind: 'approve' }
  | { readonly kind: 'decline'; readonly code: DeclineCode }
  /** `tok_timeout`: the provider never answers. */
  | { readonly kind: 'no_response' };

/** Metadata attached to a charge; `orderId` is echoed in every webhook. */
export interface ChargeMetadata {
  readonly orderId: string;
  readonly [key: string]: string;
}

/** A request to create a charge. */
export interface CreateChargeRequest {
  readonly idempotencyKey: string;
  readonly amountMinor: number;
  readonly currency: string;
  /** Payment method token; absent means "no card given" and is decided by the approval rate. */
  readonly token?: string;
  readonly metadata: ChargeMetadata;
}

/** A charge as the provider's API shows it. Times are epoch milliseconds. */
export interface Charge {
  readonly chargeId: string;
  readonly idempotencyKey: string;
  readonly amountMinor: number;
  readonly currency: string;
  readonly token?: string;
  readonly metadata: ChargeMetadata;
  readonly status: ChargeStatus;
  readonly declineCode?: DeclineCode;
  readonly createdAt: number;
  readonly decidedAt?: number;
  readonly capturedMinor?: number;
  readonly capturedAt?: number;
  readonly refundedMinor?: number;
  readonly refundedAt?: number;
  readonly voidedAt?: number;
}

/** A charge as the ledger keeps it: the public view plus the provider's private plan. */
export interface LedgerCharge extends Charge {
  readonly plannedOutcome: PlannedOutcome;
  /** Id of the webhook event announcing the decision, fixed at decision time so retries reuse it. */
  readonly decisionEventId?: string;
}

/** Fields a state change may set on a charge. */
export type ChargeChange = Pick<LedgerCharge, 'status'> &
  Partial<
    Pick<
      LedgerCharge,
      | 'declineCode'
      | 'decidedAt'
      | 'decisionEventId'
      | 'capturedMinor'
      | 'capturedAt'
      | 'refundedMinor'
      | 'refundedAt'
      | 'voidedAt'
    >
  >;

/** The operation an idempotency key was first used for. */
export type KeyOperation = 'create_charge' | 'capture' | 'refund';

/** The binding of an idempotency key to the first request made with it. */
export interface IdempotencyKeyRecord {
  readonly key: string;
  readonly operation: KeyOperation;
  /** Hash of the request parameters that must match on every reuse of the key. */
  readonly fingerprint: string;
  readonly chargeId: string;
  readonly createdAt: number;
}

/** Webhook event types. */
export type WebhookEventType = 'charge.authorized' | 'charge.declined';

/** The body of a webhook POST. `created` is unix seconds. */
export interface WebhookEvent {
  readonly id: string;
  readonly type: WebhookEventType;
  readonly created: number;
  readonly data: {
    readonly chargeId: string;
    readonly orderId: string;
    readonly amountMinor: number;
    readonly currency: string;
    readonly declineCode?: DeclineCode;
  };
}
