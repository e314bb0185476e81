import type { Clock } from '../../shared/clock';
import type { EventPublisher } from '../../shared/events';
import { OrderNotCancellableError, OrderNotFoundError, OrderUpdateConflictError } from './errors';
import { isCancellable, type Order } from './order';
import { cancellationRequested, statusChanged } from './order-events';
import type { OrderRepository } from './ports';

export interface CancelOrderDeps {
  readonly orders: OrderRepository;
  readonly publisher: EventPublisher;
  readonly clock: Clock;
  readonly region: string;
}

export interface CancelOrderCommand {
  readonly orderId: string;
  readonly reason: string;
  readonly correlationId: string;
  /** `api`: a customer's request in any region; `event`: a request forwarded from another region. */
  readonly via: 'api' | 'event';
}

/** What happened to a cancellation request. */
export type CancelOutcome =
  /** This region owns the order and moved it to CANCELLING; the saga compensates. */
  | { readonly kind: 'requested'; readonly order: Order }
  /** The order is already CANCELLING or CANCELLED: nothing to do (idempotent). */
  | { readonly kind: 'already'; readonly order: Order }
  /** Another region owns the order: the request was published and replicates to the owner. */
  | { readonly kind: 'forwarded'; readonly order: Order }
  /** A forwarded request reached a region that does not own the order: ignored there. */
  | { readonly kind: 'not-owner'; readonly order: Order };

/** The default reason when the customer gives none. */
export const DEFAULT_CANCEL_REASON = 'cancelled by customer';

/**
 * Cancels an order under the single-writer rule: only the owner region writes it (conditioned on the
 * status read and on ownership, retried once on a lost race); any other region forwards the request as
 * an OrderCancellationRequested event, which the owner applies through this same use case.
 */
export class CancelOrder {
  constructor(private readonly deps: CancelOrderDeps) {}

  async execute(cmd: CancelOrderCommand): Promise<CancelOutcome> {
    const { deps } = this;
    for (let attempt = 0; attempt < 2; attempt++) {
      const { order, takeover } = await deps.orders.getWithTakeover(cmd.orderId);
      if (!order) throw new OrderNotFoundError(cmd.orderId);
      const owned = order.ownerRegion === deps.region;
      const at = new Date(deps.clock.now());

      if (order.status === 'CANCELLING' || order.status === 'CANCELLED') {
        // Re-publish with the same ids: closes the window where a previous attempt wrote but did not publish.
        if (owned && order.status === 'CANCELLING') {
          await deps.publisher.publish(this.events(order, order.statusHistory.at(-2)?.status, cmd, at));
        }
        return { kind: 'already', order };
      }
      if (!isCancellable(order.status)) throw new OrderNotCancellableError(order.orderId, order.status);
      // A surviving region already failed the order (docs/decisions/007): it reads as FAILED everywhere.
      if (takeover) throw new OrderNotCancellableError(order.orderId, `FAILED (${takeover.reason})`);

      if (!owned) {
        if (cmd.via === 'event') return { kind: 'not-owner', order };
        await deps.publisher.publish([
          cancellationRequested(order.orderId, cmd.reason, deps.region, cmd.correlationId, at),
        ]);
        return { kind: 'forwarded', order };
      }

      const updated = await deps.orders.changeStatus({
        orderId: order.orderId,
        from: order.status,
        to: 'CANCELLING',
        ownerRegion: deps.region,
        entry: { status: 'CANCELLING', at: at.toISOString(), reason: cmd.reason },
        updatedAt: at.toISOString(),
        cancellationReason: cmd.reason,
      });
      if (updated) {
        await deps.publisher.publish(this.events(updated, order.status, cmd, at));
        return { kind: 'requested', order: updated };
      }
      // Lost a race (a saga step moved the order, or another cancel won): re-read and decide again.
    }
    throw new OrderUpdateConflictError(cmd.orderId);
  }

  private events(order: Order, from: Order['status'] | undefined, cmd: CancelOrderCommand, at: Date) {
    const reason = order.cancellationReason ?? cmd.reason;
    return [
      // A forwarded request is not re-published: the forwarding region already did, and echoing it would loop.
      ...(cmd.via === 'api'
        ? [cancellationRequested(order.orderId, reason, this.deps.region, cmd.correlationId, at)]
        : []),
      ...(from ? statusChanged(order, from, this.deps.region, cmd.correlationId, at, reason) : []),
    ];
  }
}
