import { z } from 'zod';

/**
 * The contract between the saga's state machine (defined in CDK, issue 3) and the step handlers.
 * The state machine is started with a `SagaInput`; every Lambda step receives `{ order, ... }`.
 * Step errors are thrown as typed errors whose `name` is what the state machine's Catch matches.
 */
export const ORDER_STATUSES = [
  'PENDING',
  'RESERVED',
  'PAID',
  'SHIPPED',
  'FULFILLED',
  'CANCELLING',
  'CANCELLED',
  'FAILED',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses from which a customer may still cancel (BRIEF: allowed until SHIPPED). */
export const CANCELLABLE_STATUSES: readonly OrderStatus[] = ['PENDING', 'RESERVED', 'PAID'];
/** Statuses an order never leaves. */
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['FULFILLED', 'CANCELLED', 'FAILED'];

/** The order as the saga carries it: amounts in integer minor units (hundredths of the currency unit, see money.ts). */
export const sagaOrderSchema = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  correlationId: z.string().min(1),
  /** The region that accepted the order and runs its saga: the only writer of its items. */
  homeRegion: z.string().min(1),
  currency: z.string().length(3),
  totalMinor: z.number().int().positive(),
  lines: z
    .array(
      z.object({
        productId: z.string().min(1),
        quantity: z.number().int().positive(),
        unitPriceMinor: z.number().int().positive(),
      }),
    )
    .min(1),
  /** Payment method token given to the provider (e.g. `tok_visa`). */
  paymentToken: z.string().min(1).optional(),
  email: z.string().optional(),
});
export type SagaOrder = z.infer<typeof sagaOrderSchema>;

/**
 * The ARN of an order's saga execution: the execution is named after the order id, and Step Functions
 * builds an execution ARN from its state machine's (`…:stateMachine:<name>` → `…:execution:<name>:<id>`).
 */
export function sagaExecutionArn(stateMachineArn: string, orderId: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${orderId}`;
}

/** Input of the state machine: the execution name is the order id, so StartExecution is idempotent. */
export const sagaInputSchema = z.object({ order: sagaOrderSchema });
export type SagaInput = z.infer<typeof sagaInputSchema>;

/** The longest failure reason kept on an order or passed on by a step. */
export const MAX_REASON_LENGTH = 500;

/**
 * A failure reason as the saga passes it: often a Lambda error `Cause` (JSON with a stack trace, any
 * length), which JSONPath cannot shorten. Every step accepts any length and keeps the first 500 chars.
 */
export const sagaReasonSchema = z
  .string()
  .transform((s) => (s.length > MAX_REASON_LENGTH ? `${s.slice(0, MAX_REASON_LENGTH - 1)}…` : s));

/** Input of any Lambda step; `taskToken` is present for `.waitForTaskToken` steps. */
export const stepInputSchema = z.object({
  order: sagaOrderSchema,
  taskToken: z.string().min(1).optional(),
  /** Why compensation runs, when it does. */
  reason: sagaReasonSchema.optional(),
});
export type StepInput = z.infer<typeof stepInputSchema>;

/** Input of the set-order-status step. */
export const setStatusInputSchema = z.object({
  orderId: z.string().min(1),
  correlationId: z.string().min(1).optional(),
  status: z.enum(ORDER_STATUSES),
  reason: sagaReasonSchema.optional(),
});
export type SetStatusInput = z.infer<typeof setStatusInputSchema>;

/** Error names the saga's Catch clauses route on (the Lambda `errorType`). */
export const SAGA_ERRORS = {
  outOfStock: 'OutOfStockError',
  reservationExpired: 'ReservationExpiredError',
  paymentDeclined: 'PaymentDeclinedError',
  orderCancelled: 'OrderCancelledError',
  /** The order is owned by another region: this saga must stand down without compensating shared effects. */
  orderHomedElsewhere: 'OrderHomedElsewhereError',
  invalidTransition: 'InvalidStatusTransitionError',
  /**
   * A surviving region took the order over while this (home) region was unavailable
   * (docs/decisions/007): the saga undoes everything it did, records FAILED and does not notify again.
   */
  orderTakenOver: 'OrderTakenOverError',
} as const;

/** The failure reason of an order a surviving region took over (docs/decisions/007). */
export const TAKEOVER_REASON = 'HomeRegionUnavailable';

/**
 * Statuses a surviving region may take an order over from: the cancellable ones. A SHIPPED order has
 * left the warehouse, so failing it would be a lie; CANCELLING already has an outcome under way.
 */
export const TAKEOVER_STATUSES: readonly OrderStatus[] = CANCELLABLE_STATUSES;
