import { fromMinorUnits, type Currency } from '../../shared/money';
import {
  CANCELLABLE_STATUSES,
  SAGA_ERRORS,
  TAKEOVER_REASON,
  TERMINAL_STATUSES,
  type OrderStatus,
  type SagaInput,
} from '../../shared/saga';

/** One line of an order; prices in integer minor units (hundredths, see shared/money.ts). */
export interface OrderLine {
  readonly productId: string;
  readonly quantity: number;
  readonly unitPriceMinor: number;
  readonly lineTotalMinor: number;
}

/** One entry of an order's status history. */
export interface StatusHistoryEntry {
  readonly status: OrderStatus;
  /** ISO-8601 time of the change. */
  readonly at: string;
  readonly reason?: string;
}

/** An order as stored: the single source of truth for its lifecycle. */
export interface Order {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly currency: Currency;
  readonly lines: readonly OrderLine[];
  readonly totalMinor: number;
  /** The region that accepted the order and runs its saga. */
  readonly homeRegion: string;
  /** The only region allowed to write the order (single writer); equals homeRegion unless handed over. */
  readonly ownerRegion: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly statusHistory: readonly StatusHistoryEntry[];
  readonly correlationId: string;
  readonly idempotencyKey: string;
  readonly failureReason?: string;
  readonly cancellationReason?: string;
}

/**
 * A surviving region's decision to fail a stranded order of an unavailable home region
 * (docs/decisions/007): a separate item the survivor owns, so the order item keeps its single writer.
 */
export interface Takeover {
  readonly orderId: string;
  readonly customerId: string;
  readonly homeRegion: string;
  /** The survivor that decided; the only writer of the marker. */
  readonly takenOverBy: string;
  readonly takenOverAt: string;
  /** The order's status in the survivor's replica when it decided. */
  readonly statusAtTakeover: OrderStatus;
  readonly reason: string;
  /** Since when the survivor has seen the home region's health check failing. */
  readonly homeUnhealthySince: string;
  /** When OrderTakenOver was published (absent until it was). */
  readonly publishedAt?: string;
}

/** A validated POST /orders body (decimal prices, as the client sent them). */
export interface OrderRequest {
  readonly customerId: string;
  readonly currency: Currency;
  readonly lines: readonly {
    readonly productId: string;
    readonly quantity: number;
    readonly unitPrice: number;
  }[];
  readonly paymentToken?: string;
  readonly email?: string;
}

/** The public representation of an order: decimals, no payment token, no e-mail. */
export interface OrderView {
  readonly orderId: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  readonly currency: Currency;
  readonly lines: { productId: string; quantity: number; unitPrice: number; lineTotal: number }[];
  readonly total: number;
  readonly homeRegion: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly statusHistory: StatusHistoryEntry[];
  readonly failureReason?: string;
  /** Present when a surviving region took the order over while its home region was unavailable. */
  readonly takeover?: { by: string; at: string; statusAtTakeover: OrderStatus };
}

/**
 * Builds the response body of an order. With a takeover marker, an order that is not terminal reads as
 * FAILED (HomeRegionUnavailable): that is what the customer was told, and what the home region will
 * record when it returns. A terminal order shows its own status, a FULFILLED one included.
 */
export function toOrderView(order: Order, takeover?: Takeover): OrderView {
  const overlaid = takeover !== undefined && !isTerminal(order.status);
  const history = order.statusHistory.map((h) => ({ ...h }));
  if (overlaid) history.push({ status: 'FAILED', at: takeover.takenOverAt, reason: takeover.reason });
  const failureReason = overlaid ? takeover.reason : order.failureReason;
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: overlaid ? 'FAILED' : order.status,
    currency: order.currency,
    lines: order.lines.map((l) => ({
      productId: l.productId,
      quantity: l.quantity,
      unitPrice: fromMinorUnits(l.unitPriceMinor),
      lineTotal: fromMinorUnits(l.lineTotalMinor),
    })),
    total: fromMinorUnits(order.totalMinor),
    homeRegion: order.homeRegion,
    createdAt: order.createdAt,
    updatedAt: overlaid && takeover.takenOverAt > order.updatedAt ? takeover.takenOverAt : order.updatedAt,
    statusHistory: history,
    ...(failureReason !== undefined ? { failureReason } : {}),
    ...(takeover !== undefined
      ? {
          takeover: {
            by: takeover.takenOverBy,
            at: takeover.takenOverAt,
            statusAtTakeover: takeover.statusAtTakeover,
          },
        }
      : {}),
  };
}

/**
 * The failure reason to record: a saga that stood down after a takeover passes the error's name (or
 * `name: message`), and the order records the reason the customer was given, HomeRegionUnavailable.
 */
export function failureReasonOf(given: string | undefined): string | undefined {
  const takenOver = SAGA_ERRORS.orderTakenOver;
  return given === takenOver || given?.startsWith(`${takenOver}:`) ? TAKEOVER_REASON : given;
}

/** The saga's input for an order; token and e-mail come from the (fingerprinted) request, never storage. */
export function toSagaInput(order: Order, secrets: Pick<OrderRequest, 'paymentToken' | 'email'>): SagaInput {
  return {
    order: {
      orderId: order.orderId,
      customerId: order.customerId,
      correlationId: order.correlationId,
      homeRegion: order.homeRegion,
      currency: order.currency,
      totalMinor: order.totalMinor,
      lines: order.lines.map((l) => ({
        productId: l.productId,
        quantity: l.quantity,
        unitPriceMinor: l.unitPriceMinor,
      })),
      ...(secrets.paymentToken !== undefined ? { paymentToken: secrets.paymentToken } : {}),
      ...(secrets.email !== undefined ? { email: secrets.email } : {}),
    },
  };
}

/** Statuses the saga moves an order forward through, in order. */
const FORWARD: readonly OrderStatus[] = ['PENDING', 'RESERVED', 'PAID', 'SHIPPED', 'FULFILLED'];

/** True for statuses that only the forward path of the saga sets. */
export function isForwardStatus(status: OrderStatus): boolean {
  return FORWARD.indexOf(status) > 0;
}

/** True while a customer may still cancel. */
export function isCancellable(status: OrderStatus): boolean {
  return CANCELLABLE_STATUSES.includes(status);
}

/** True for statuses an order never leaves. */
export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** Moves the saga's set-status step may make (CANCELLING is set by the API only). */
const SAGA_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  PENDING: ['RESERVED', 'FAILED'],
  RESERVED: ['PAID', 'FAILED'],
  PAID: ['SHIPPED', 'FAILED'],
  SHIPPED: ['FULFILLED'],
  FULFILLED: [],
  CANCELLING: ['CANCELLED'],
  CANCELLED: [],
  FAILED: [],
};

/** What the set-status step must do when `requested` arrives for an order in `current`. */
export type StatusDecision =
  | { readonly action: 'noop'; readonly status: OrderStatus }
  | { readonly action: 'move'; readonly to: OrderStatus }
  | { readonly action: 'refuse-cancelled' }
  | { readonly action: 'invalid' };

/**
 * The lifecycle rules of the saga's set-status step:
 * - the current status again is a no-op (retries are harmless);
 * - a forward move while CANCELLING/CANCELLED is refused so the saga compensates;
 * - FAILED while CANCELLING becomes CANCELLED (the customer's request wins), and is a no-op once CANCELLED;
 * - anything else not in SAGA_TRANSITIONS is invalid.
 */
export function decideStatus(current: OrderStatus, requested: OrderStatus): StatusDecision {
  if (current === requested) return { action: 'noop', status: current };
  if (current === 'CANCELLING' || current === 'CANCELLED') {
    if (isForwardStatus(requested)) return { action: 'refuse-cancelled' };
    if (requested === 'FAILED') {
      return current === 'CANCELLING'
        ? { action: 'move', to: 'CANCELLED' }
        : { action: 'noop', status: current };
    }
  }
  return SAGA_TRANSITIONS[current].includes(requested)
    ? { action: 'move', to: requested }
    : { action: 'invalid' };
}
